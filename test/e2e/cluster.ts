// Helpers for the end-to-end suite: run the built CLI and read the cluster independently with
// kubectl. Nothing here fakes the cluster: $KUBECONFIG must point at a real one
// (test/cluster/up makes one on the project's machines).
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { expect } from 'vitest';
import { locateTool } from '../../src/tools.js';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(repoRoot, 'bin', 'k8s-lab.js');
export const kubectlBin = locateTool('kubectl');

/** The local cluster's image: nothing can be pulled there (test/cluster/README.md). */
export const LOCAL_IMAGE = process.env.K8S_LAB_E2E_IMAGE ?? 'localhost/k8s-lab/python:3-bookworm';
/** Test traffic goes to loopback only; NodePorts answer there on the local cluster. */
export const nodePortUrl = (port = 31987) => `http://127.0.0.1:${port}`;

export function requireCluster(): void {
  if (!process.env.KUBECONFIG || !existsSync(process.env.KUBECONFIG)) {
    throw new Error('the end-to-end suite needs a real cluster: run `eval "$(sudo test/cluster/up)"` (or point KUBECONFIG at one) first');
  }
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) throw new Error('build the CLI first: npm run build');
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the built CLI like a user would, with the given helm binary. */
export async function cli(
  args: string[],
  { helm, timeoutMs = 600_000, env = {} }: { helm: string; timeoutMs?: number; env?: Record<string, string> },
): Promise<CliRun> {
  const result: Result = await execa('node', [bin, ...args], {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
    env: { FORCE_COLOR: '0', CI: 'true', K8S_LAB_HELM: helm, ...env },
  });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr),
    json<T>() {
      return JSON.parse(stdout) as T;
    },
  };
}

/** kubectl straight at the cluster, to check what the CLI says against what is there. */
export async function kubectl(args: string[], { reject = true } = {}): Promise<Result> {
  return execa(kubectlBin, args, { reject, timeout: 120_000 });
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(String((await kubectl([...args, '-o', 'json'])).stdout)) as T;
}

export async function readCounterFile(namespace: string, pod: string): Promise<number> {
  const { stdout } = await kubectl(['-n', namespace, 'exec', pod, '-c', 'app', '--', 'cat', '/data/counter.json']);
  return (JSON.parse(String(stdout)) as { counter: number }).counter;
}

export async function deleteNamespace(namespace: string): Promise<void> {
  await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=180s'], { reject: false });
}

/** Waits until `check` returns a value, polling; fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * A kubeconfig for a ServiceAccount of `namespace` (created here unless `create: false`): the real
 * cluster's server and CA, the account's token and nothing else, with `namespace` as its default.
 * Returns the token, for tests that check it is never printed.
 */
export async function serviceAccountKubeconfig(namespace: string, account: string, path: string, { create = true } = {}): Promise<string> {
  if (create) await kubectl(['-n', namespace, 'create', 'serviceaccount', account]);
  // Kubernetes before 1.24 makes a token Secret for every ServiceAccount; later ones hand one out.
  const token = await eventually(
    `a token for ${account}`,
    async () => {
      const secret = String((await kubectl(['-n', namespace, 'get', 'serviceaccount', account, '-o', 'jsonpath={.secrets[0].name}'])).stdout);
      if (secret)
        return Buffer.from(String((await kubectl(['-n', namespace, 'get', 'secret', secret, '-o', 'jsonpath={.data.token}'])).stdout), 'base64').toString();
      const created = await kubectl(['-n', namespace, 'create', 'token', account], { reject: false });
      return created.exitCode === 0 ? String(created.stdout).trim() : undefined;
    },
    30_000,
  );
  const cluster = JSON.parse(String((await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])).stdout)) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const { server, 'certificate-authority-data': ca } = cluster.clusters[0]!.cluster;
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: lab, cluster: { server: "${server}", certificate-authority-data: "${ca}" } }]`,
      `users: [{ name: ${account}, user: { token: "${token}" } }]`,
      `contexts: [{ name: ${account}, context: { cluster: lab, user: ${account}, namespace: ${namespace} } }]`,
      `current-context: ${account}`,
      '',
    ].join('\n'),
  );
  return token;
}

/** The rules every failure follows: the exit code, one line `✖ what — what to do` on stderr, no stack, nothing on stdout. */
export function expectOneLineFailure(result: CliRun, exit: number, message: RegExp): void {
  const detail = `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
  expect(result.exitCode, detail).toBe(exit);
  expect(result.stderr.trim().split('\n'), detail).toHaveLength(1);
  expect(result.stderr.trim(), detail).toMatch(/^✖ \S.* — \S.*$/);
  expect(result.stderr, detail).toMatch(message);
  expect(result.stderr, detail).not.toMatch(/^ {4}at /m);
  expect(result.stdout, detail).toBe('');
}

/**
 * A StatefulSet's updateStrategy is RollingUpdate at `partition`, with maxUnavailable at most the
 * server's default: 1 where feature MaxUnavailableStatefulSet defaults it (Kubernetes 1.37+), absent before.
 */
export function expectRollingUpdate(updateStrategy: unknown, partition: number): void {
  const { type, rollingUpdate, ...rest } = updateStrategy as { type?: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  expect(rest).toEqual({});
  expect(type).toBe('RollingUpdate');
  const { maxUnavailable, ...others } = rollingUpdate ?? {};
  expect(others).toEqual({ partition });
  expect([undefined, 1]).toContain(maxUnavailable);
}
