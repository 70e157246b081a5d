import { lint } from 'markdownlint/sync';
import { describe, expect, it } from 'vitest';
import { renderReport, type ReportInput } from '../../src/report/render.js';
import type { RunRecord } from '../../src/demos/record.js';
import { fixtureJson } from '../support/fixtures.js';

// The report must pass a Markdown linter (markdownlint's defaults; long lines are allowed, since
// tables and the kubectl output cannot wrap).
const runs = [
  '2026-11-24T03-18-02-114Z-rolling',
  '2026-11-24T03-20-15-530Z-recreate',
  '2026-11-24T03-25-31-778Z-canary',
  '2026-11-24T03-27-44-409Z-partition',
].map((id) => fixtureJson<RunRecord>(`runs/${id}.json`));
const input = (overrides: Partial<ReportInput> = {}): ReportInput => ({
  generatedAt: '2026-11-24T04:00:00.000Z',
  release: 'helm-python',
  namespace: runs[0]!.namespace,
  cluster: runs[0]!.cluster!,
  environment: { kubernetes: 'v1.20.2', helm: 'v4.1.4', kubectl: 'v1.32.4', k8sLab: '0.1.0' },
  overviewText: 'NAME                READY   STATUS    RESTARTS   AGE\npod/helm-python-0   1/1     Running   0          9m55s',
  counters: [
    { pod: 'helm-python-0', counter: 12, pvc: 'counter-data-py-helm-python-0' },
    { pod: 'helm-python-1', counter: null, pvc: 'counter-data-py-helm-python-1', error: 'pod is Pending' },
  ],
  podManagementPolicy: 'Parallel',
  replicas: 2,
  runs,
  ...overrides,
});

function problems(markdown: string): string[] {
  const result = lint({ strings: { report: markdown }, config: { default: true, MD013: false } });
  return (result.report ?? []).map((e) => `${e.lineNumber}: ${e.ruleNames.join('/')} ${e.ruleDescription}`);
}

describe('the rendered report passes markdownlint', () => {
  it.each([
    ['every strategy measured', input()],
    ['no run records, OrderedReady', input({ runs: [], podManagementPolicy: 'OrderedReady' })],
  ])('%s', (_name, value) => {
    expect(problems(renderReport(value).markdown)).toEqual([]);
  });
  it('catches a broken document (the check can fail)', () => {
    expect(problems('# Title\n## Next\ntext  \n')).not.toEqual([]);
  });
});
