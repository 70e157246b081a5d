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

  it('gives live/, the event vocabulary and preflight their own layers: an import upward from each is named', async () => {
    const src = tree({
      'events.ts': "import type { PodView } from './live/state.js';\nexport type PodEvent = PodView;\n",
      'live/state.ts': "import type { RunRecord } from '../demos/record.js';\nexport type PodView = RunRecord;\n",
      'preflight.ts': "import { view } from './live/view.js';\nexport const preflight = view;\n",
      'live/view.ts': "import { preflight } from '../preflight.js';\nexport const view = 1;\n",
      'demos/record.ts': 'export type RunRecord = string;\n',
    });
    const result = await execa('node', [SCRIPT, src], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      'events.ts (events) imports live/state.ts (live): a layer above',
      'live/state.ts (live) imports demos/record.ts (demos): a layer above',
      'live/view.ts (live) imports preflight.ts (preflight): a layer above',
      'cycle: live/view.ts → preflight.ts → live/view.ts',
      '4 import problems in src/ (5 modules)',
    ]);
  });
});
