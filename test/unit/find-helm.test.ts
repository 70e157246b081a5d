// How the chart and end-to-end tests find Helm 3 and Helm 4 (test/support/find-helm.ts): on any
// platform, without fetching; a fake `helm version` says which major each candidate is.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findHelmBinaries, type HelmProbe } from '../support/find-helm.js';

let root: string;
let bin: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'k8s-lab-find-helm-'));
  bin = join(root, 'bin');
  mkdirSync(bin);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Creates an executable file and returns its path. */
function file(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
  chmodSync(path, 0o755);
  return path;
}

/** A probe that knows each path's major. */
const probeOf =
  (majors: Record<string, number>): HelmProbe =>
  (path) =>
    majors[path];

describe('findHelmBinaries', () => {
  it('takes the helm on PATH for its major and the fetched one for the other', () => {
    const mine = file(join(bin, 'helm'));
    const fetched3 = file(join(root, '.tools', 'helm3', 'helm'));
    const fetched4 = file(join(root, '.tools', 'helm4', 'helm'));
    const found = findHelmBinaries({ PATH: bin }, 'linux', probeOf({ [mine]: 4, [fetched3]: 3, [fetched4]: 4 }), root);
    expect(found).toEqual([
      { major: 3, path: fetched3 },
      { major: 4, path: mine },
    ]);
  });

  it('prefers K8S_LAB_HELM3 / K8S_LAB_HELM4, and never uses a path of the wrong major', () => {
    const three = file(join(root, 'opt', 'helm-v3'));
    const four = file(join(root, 'opt', 'helm-v4'));
    const found = findHelmBinaries({ PATH: '', K8S_LAB_HELM3: three, K8S_LAB_HELM4: four }, 'linux', probeOf({ [three]: 3, [four]: 4 }), root);
    expect(found).toEqual([
      { major: 3, path: three },
      { major: 4, path: four },
    ]);
    expect(() => findHelmBinaries({ PATH: '', K8S_LAB_HELM3: four }, 'linux', probeOf({ [four]: 4 }), root)).toThrow(
      /K8S_LAB_HELM3=.*helm-v4 is Helm 4\), missing Helm 3 and 4/,
    );
  });

  it('says plainly what is missing and how to provide it', () => {
    const mine = file(join(bin, 'helm'));
    expect(() => findHelmBinaries({ PATH: bin }, 'darwin', probeOf({ [mine]: 4 }), root)).toThrow(
      `these tests run the chart with Helm 3 and 4; found Helm 4 at ${mine}, missing Helm 3: set K8S_LAB_HELM3=/path/to/helm3, or run \`npm run tools\` on Linux x86-64 to fetch both, or set K8S_LAB_HELM_MAJORS=4 to test with the Helm you have only`,
    );
  });

  it('tests with one major when K8S_LAB_HELM_MAJORS says so, and refuses anything but 3 and 4', () => {
    const mine = file(join(bin, 'helm'));
    expect(findHelmBinaries({ PATH: bin, K8S_LAB_HELM_MAJORS: '4' }, 'darwin', probeOf({ [mine]: 4 }), root)).toEqual([{ major: 4, path: mine }]);
    expect(() => findHelmBinaries({ PATH: bin, K8S_LAB_HELM_MAJORS: '2' }, 'darwin', probeOf({}), root)).toThrow(/K8S_LAB_HELM_MAJORS="2"/);
  });

  it('on Windows finds helm.exe on Path, split at ";"', () => {
    const mine = file(join(bin, 'helm.exe'));
    const found = findHelmBinaries({ Path: `C:\\nowhere;${bin}`, PATHEXT: '.EXE', K8S_LAB_HELM_MAJORS: '3' }, 'win32', probeOf({ [mine]: 3 }), root);
    expect(found).toEqual([{ major: 3, path: mine }]);
  });
});
