import { defineConfig } from 'vitest/config';

// Four layers of tests. `npm test` runs the first three; `npm run test:e2e` needs a
// cluster in $KUBECONFIG and runs the built CLI against it.
/** End-to-end files that change nodes or the control plane: they run alone (see the e2e lanes). */
const SERIAL_E2E = ['test/e2e/lab.test.ts', 'test/e2e/identity.test.ts', 'test/e2e/drain.test.ts', 'test/e2e/node-loss.test.ts', 'test/e2e/faults.test.ts'];

export default defineConfig({
  test: {
    // Keep the user's own helm/kubectl settings out of every test run.
    env: {
      HELM_CONFIG_HOME: '/tmp/k8s-lab-test-helm/config',
      HELM_CACHE_HOME: '/tmp/k8s-lab-test-helm/cache',
      HELM_DATA_HOME: '/tmp/k8s-lab-test-helm/data',
      FORCE_COLOR: '0',
    },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'chart', include: ['test/chart/**/*.test.ts'], testTimeout: 60_000 } },
      { extends: true, test: { name: 'app', include: ['test/app/**/*.test.ts'], testTimeout: 120_000 } },
      // The end-to-end suite in two lanes (`npm run test:e2e` runs them one after the other).
      // e2e-serial: what changes nodes or the control plane (cordon, drain, a node powered off, a
      // restarted API server), and `lab`, whose default lessons do: one file at a time, alone.
      {
        extends: true,
        test: {
          name: 'e2e-serial',
          include: SERIAL_E2E,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
      // e2e: the rest, two files at a time (each its own namespaces and NodePort; the tests inside
      // a file keep their order). Most of their time is waiting on pods, not CPU.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: SERIAL_E2E,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
