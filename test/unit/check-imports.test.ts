import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/check-imports.mjs', import.meta.url));
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'k8s-lab-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('scripts/check-imports.mjs', () => {
  it('passes the project itself', async () => {
    const result = await execa('node', [SCRIPT], { reject: false });
    expect(result.stdout).toMatch(/^imports ok: \d+ modules, no cycle, no import from a layer above$/);
    expect(result.exitCode).toBe(0);
  });

  it('names a cycle, a type-only one too, and an import from a layer above', async () => {
    const src = tree({
      'adapters/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'adapters/b.ts': "import { a } from './a.js';\nexport type B = string;\n",
      'probe/p.ts': "export { run } from '../demos/run.js';\n",
      'demos/run.ts': 'export const run = 1;\n',
    });
    const result = await execa('node', [SCRIPT, src], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      'probe/p.ts (probe) imports demos/run.ts (demos): a layer above',
      'cycle: adapters/a.ts → adapters/b.ts → adapters/a.ts',
      '2 import problems in src/ (4 modules)',
    ]);
  });
});
