// Paths inside the repository, for tests that need no tool binary.
import { fileURLToPath } from 'node:url';

/** The repository root (absolute, no trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');

/** The bundled Helm chart. */
export const CHART_DIR = `${REPO_ROOT}/chart`;
