// How the tests find one helm per major (Helm 3 and Helm 4 apply changes differently), the way
// the CLI finds its tools; nothing is fetched here. Pure but for the probe and existsSync: tested in
// test/unit/find-helm.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { locateTool } from '../../src/tools.js';
import { REPO_ROOT } from './paths.js';

export type HelmMajor = 3 | 4;

export interface HelmBinary {
  /** Helm's major version: 3 (client-side apply) or 4 (server-side apply by default). */
  readonly major: HelmMajor;
  /** Absolute path of the helm executable. */
  readonly path: string;
}

/** What a candidate helm says it is (`helm version --short`): its major, or undefined when it does not run. */
export type HelmProbe = (path: string) => number | undefined;

const probeHelm: HelmProbe = (path) => {
  try {
    const version = execFileSync(path, ['version', '--short'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const major = /^v?(\d+)\./.exec(version.trim())?.[1];
    return major ? Number(major) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * One helm per major in `majors`, each the first of: $K8S_LAB_HELM3 / $K8S_LAB_HELM4; the helm the
 * CLI itself would run ($K8S_LAB_HELM, else the first on PATH), when it is of that major; the one
 * `npm run tools` fetched into .tools/helm3 or .tools/helm4. Each candidate is asked its version,
 * so a path of the wrong major is never used. Throws one message saying what is missing and how to
 * provide it. `majors`: $K8S_LAB_HELM_MAJORS (e.g. `4` on a laptop with Helm 4 only), else both.
 */
export function findHelmBinaries(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  probe: HelmProbe = probeHelm,
  root: string = REPO_ROOT,
): HelmBinary[] {
  const majors = parseMajors(env.K8S_LAB_HELM_MAJORS);
  const onPath = locateTool('helm', env, platform);
  const found: HelmBinary[] = [];
  const tried: string[] = [];
  for (const major of majors) {
    const candidates = [env[`K8S_LAB_HELM${major}`], onPath, join(root, '.tools', `helm${major}`, platform === 'win32' ? 'helm.exe' : 'helm')];
    const path = candidates.find((candidate) => {
      if (!candidate || (candidate !== onPath && !existsSync(candidate))) return false;
      const actual = probe(candidate);
      if (actual !== undefined && actual !== major && candidate === env[`K8S_LAB_HELM${major}`])
        tried.push(`K8S_LAB_HELM${major}=${candidate} is Helm ${actual}`);
      return actual === major;
    });
    if (path) found.push({ major, path });
  }
  const missing = majors.filter((major) => !found.some((h) => h.major === major));
  if (missing.length) {
    const have = found.map((h) => `Helm ${h.major} at ${h.path}`).join(', ') || 'no helm';
    throw new Error(
      `these tests run the chart with Helm ${majors.join(' and ')}; found ${have}${tried.length ? ` (${tried.join('; ')})` : ''}, missing Helm ${missing.join(' and ')}: ` +
        `set ${missing.map((m) => `K8S_LAB_HELM${m}=/path/to/helm${m}`).join(' and ')}, or run \`npm run tools\` on Linux x86-64 to fetch both, ` +
        `or set K8S_LAB_HELM_MAJORS=${found.map((h) => h.major).join(',') || 4} to test with the Helm you have only`,
    );
  }
  return found;
}

function parseMajors(value: string | undefined): HelmMajor[] {
  if (!value) return [3, 4];
  const majors = value.split(',').map((m) => m.trim());
  if (majors.some((m) => m !== '3' && m !== '4')) throw new Error(`K8S_LAB_HELM_MAJORS="${value}": list 3, 4 or both, e.g. K8S_LAB_HELM_MAJORS=3,4`);
  return [...new Set(majors.map(Number) as HelmMajor[])].sort();
}
