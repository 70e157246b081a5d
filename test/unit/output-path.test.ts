import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chartValueRule, ruleViolation } from '../../src/chart-schema.js';
import { checkOutputDir, checkOutputFile, makeDirs } from '../../src/output-path.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'k8s-lab-output-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('makeDirs', () => {
  it('makes the missing directories one level at a time', () => {
    makeDirs(join(dir, 'a', 'b', 'c'));
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirs(join(dir, 'a', 'b', 'c'));
  });
  it('fails at once under /proc, where a recursive mkdir never returns', () => {
    expect(() => makeDirs('/proc/x/y')).toThrow(/^cannot make directory \/proc\/x: ENOENT/);
  });
  it('fails below a file', () => {
    writeFileSync(join(dir, 'f'), '');
    expect(() => makeDirs(join(dir, 'f', 'g'))).toThrow(`cannot make directory ${join(dir, 'f', 'g')}: ${join(dir, 'f')} is not a directory`);
  });
});

describe('checkOutputDir / checkOutputFile', () => {
  it('accept a missing directory under a writable one and leave nothing behind', () => {
    checkOutputDir(join(dir, 'new', 'runs'), '--record-dir');
    checkOutputFile(join(dir, 'new', 'README.md'), '--output');
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });
  it('reject /proc with a usage error (exit 2)', () => {
    expect(() => checkOutputDir('/proc/x', '--record-dir')).toThrow(
      expect.objectContaining({ exitCode: 2, message: '--record-dir "/proc/x" cannot be written: ENOENT in /proc' }),
    );
  });
});

describe("the chart's rule for app.version", () => {
  const rule = chartValueRule('app.version')!;
  it('is read from chart/values.schema.json', () => {
    expect(rule).toMatchObject({ type: 'string', minLength: 1, maxLength: 63 });
  });
  it.each([
    ['v2', undefined],
    ['1.10.0-rc_1', undefined],
    ['x'.repeat(63), undefined],
    ['', 'it is empty'],
    ['x'.repeat(64), 'it is 64 characters long, at most 63 fit'],
    ['v2 beta', 'it must match ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'],
    ['v2.', 'it must match ^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'],
  ])('%j → %s', (value, why) => expect(ruleViolation(value, rule)).toBe(why));
});
