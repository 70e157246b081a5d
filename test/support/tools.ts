// The real Helm binaries the chart tests and the CLI's end-to-end tests run: one of each major,
// found as findHelmBinaries says (K8S_LAB_HELM3/4, the CLI's own helm, then .tools/ from `npm run tools`).
import { findHelmBinaries, type HelmBinary } from './find-helm.js';

export { CHART_DIR, REPO_ROOT } from './paths.js';
export type { HelmBinary } from './find-helm.js';

/** Every Helm major the chart and the CLI must work with, oldest first. */
export const HELM_BINARIES: readonly HelmBinary[] = findHelmBinaries();
