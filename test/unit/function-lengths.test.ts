import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/function-lengths.mjs', import.meta.url));
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('scripts/function-lengths.mjs', () => {
  it('measures declarations, methods and arrow functions from first to last line, and fails over --max', async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8s-lab-lengths-'));
    mkdirSync(join(dir, 'demos'));
    // long: its line, 101 body lines, its closing brace = 103 lines; inner (an arrow after it) 3 lines; ties by file, then line.
    const body = Array.from({ length: 101 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    writeFileSync(join(dir, 'demos', 'a.ts'), `export function long() {\n${body}\n}\nconst inner = () => {\n  return 1;\n};\n`);
    writeFileSync(join(dir, 'b.ts'), 'class C {\n  method(): number {\n    return 2;\n  }\n}\n');
    const result = await execa('node', [SCRIPT, '--over', '3', '--max', '100', dir], { reject: false });
    expect(result.stdout.split('\n')).toEqual([
      ' 103  long  demos/a.ts:1',
      '   3  method  b.ts:2',
      '   3  inner  demos/a.ts:104',
      `3 functions in ${dir}; longest 103 lines (long)`,
    ]);
    expect(result.stderr).toBe('1 function over 100 lines');
    expect(result.exitCode).toBe(1);
    expect((await execa('node', [SCRIPT, '--max', '103', dir], { reject: false })).exitCode).toBe(0);
  });
});
