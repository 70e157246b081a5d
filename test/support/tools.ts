// Paths of the real tool binaries the tests run, fetched into .tools/ by `npm run tools`
// (scripts/fetch-tools.mjs). Shared by the chart tests and the CLI's end-to-end tests.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root (absolute, no trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** The bundled Helm chart. */
export const CHART_DIR = `${REPO_ROOT}/chart`;

export interface HelmBinary {
  /** Helm's major version: 3 (client-side apply) or 4 (server-side apply by default). */
  readonly major: 3 | 4;
  /** Absolute path of the helm executable. */
  readonly path: string;
}

function tool(relativePath: string): string {
  const path = `${REPO_ROOT}/${relativePath}`;
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm run tools\` (node scripts/fetch-tools.mjs) to fetch Helm 3 and Helm 4 into .tools/`);
  }
  return path;
}

/** Every Helm major the chart and the CLI must work with, oldest first. */
export const HELM_BINARIES: readonly HelmBinary[] = [
  { major: 3, path: tool('.tools/helm3/helm') },
  { major: 4, path: tool('.tools/helm4/helm') },
];
