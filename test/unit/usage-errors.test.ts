import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneLine, usageLine } from '../../src/cli.js';
import { UsageError } from '../../src/errors.js';
import { checkKubeconfig } from '../../src/lab-context.js';

// What commander prints (v14), and the one line k8s-lab makes of it.
describe('usageLine', () => {
  it.each([
    ["error: unknown command 'deplyo'\n(Did you mean deploy?)", "unknown command 'deplyo' (did you mean deploy?) — see k8s-lab --help"],
    [
      "error: option '--replicas <n>' argument 'abc' is invalid. expected a whole number from 0 to 100.",
      '--replicas "abc" is invalid: expected a whole number from 0 to 100 — see k8s-lab --help',
    ],
    [
      "error: option '-f, --values <file>' argument 'x.yaml' is invalid. file \"x.yaml\" does not exist.",
      '--values "x.yaml" is invalid: file "x.yaml" does not exist — see k8s-lab --help',
    ],
    [
      "error: option '--strategy <strategy>' argument 'blue' is invalid. Allowed choices are rolling, recreate, canary, partition.",
      '--strategy "blue" is invalid: allowed choices are rolling, recreate, canary, partition — see k8s-lab --help',
    ],
    [
      "error: option '--url <url>' value 'ftp://x' from env 'K8S_LAB_URL' is invalid. expected an http(s) URL such as http://127.0.0.1:31987.",
      '--url "ftp://x" (from $K8S_LAB_URL) is invalid: expected an http(s) URL such as http://127.0.0.1:31987 — see k8s-lab --help',
    ],
    ["error: required option '--strategy <strategy>' not specified", '--strategy is required — see k8s-lab --help'],
  ])('%j', (message, line) => expect(usageLine(message, 'k8s-lab --help')).toBe(line));

  it('joins lines and drops blank ones', () => expect(oneLine('a\n\n  b  \n')).toBe('a b'));
});

describe('checkKubeconfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-kubeconfig-'));
  const file = join(dir, 'config');
  writeFileSync(file, 'apiVersion: v1\nkind: Config\n');

  it('takes an existing --kubeconfig file, and $KUBECONFIG when one of its files exists', () => {
    expect(() => checkKubeconfig(file, undefined)).not.toThrow();
    expect(() => checkKubeconfig(undefined, `/nonexistent:${file}`)).not.toThrow();
    expect(() => checkKubeconfig(undefined, undefined)).not.toThrow();
  });
  it.each([
    [join(dir, 'missing'), undefined, /does not exist/],
    [dir, undefined, /is not a file/],
    [undefined, '/nonexistent', /KUBECONFIG="\/nonexistent" names no existing file/],
  ])('rejects --kubeconfig %j / KUBECONFIG %j before any tool runs', (flag, env, message) => {
    expect(() => checkKubeconfig(flag, env)).toThrow(UsageError);
    expect(() => checkKubeconfig(flag, env)).toThrow(message);
  });
});
