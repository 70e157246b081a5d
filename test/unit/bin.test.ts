// bin/k8s-lab.js before the CLI loads: an older Node and a clone that was never built each get one
// line saying what to do, exit 1, no stack trace. Run on a copy of the bin in a folder without
// dist/, under this Node with process.versions.node replaced by a preload.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'k8s-lab-bin-'));
mkdirSync(join(work, 'bin'));
copyFileSync(join(REPO_ROOT, 'bin', 'k8s-lab.js'), join(work, 'bin', 'k8s-lab.js'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the copied bin as if Node were `version`. */
async function runAs(version: string) {
  const preload = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '${version}' })`;
  return execa(process.execPath, ['--import', preload, join(work, 'bin', 'k8s-lab.js'), '--help'], { reject: false, cwd: work });
}

const tooOld = (version: string) =>
  `✖ k8s-lab needs Node.js 22.12 or newer, this is Node.js ${version} (${process.execPath}) — install Node.js 22 or 24 (https://nodejs.org), e.g. with nvm: nvm install 24`;
const notBuilt = '✖ k8s-lab is not built: dist/cli.js is missing — run `npm ci && npm run build` in the k8s-lab folder first';

describe('bin/k8s-lab.js', () => {
  it.each(['20.19.0', '22.11.0', '18.20.4'])('refuses Node %s in one line, exit 1', async (version) => {
    const run = await runAs(version);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(tooOld(version));
  });

  it.each(['22.12.0', '23.0.0', '24.11.1'])('lets Node %s through to the CLI (here: not built, so it says to build)', async (version) => {
    const run = await runAs(version);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(notBuilt);
  });
});
