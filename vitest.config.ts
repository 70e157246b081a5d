import { defineConfig } from 'vitest/config';

// Four layers of tests. `npm test` runs the first three; `npm run test:e2e` needs a
// cluster in $KUBECONFIG and runs the built CLI against it.
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
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
