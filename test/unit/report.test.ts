import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { List, PersistentVolumeClaim, Pod, Service, StatefulSet } from '../../src/adapters/kube-objects.js';
import { STRATEGIES, type RunRecord } from '../../src/demos/record.js';
import { DEFAULTS } from '../../src/defaults.js';
import { renderOverview } from '../../src/overview.js';
import { escapeXml, formatDuration, formatPercent, inlineCode, markdownText } from '../../src/report/format.js';
import { renderReport, type ReportInput } from '../../src/report/render.js';
import { renderTimelineSvg } from '../../src/report/svg.js';
import { readRunRecords } from '../../src/report/write.js';
import { fillTemplate, readTemplate, templatePlaceholders } from '../../src/report/template.js';
import { podLanes, renderMermaidGantt } from '../../src/report/timeline.js';
import { fixture, fixtureJson } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';

// Synthesized run records (see test/fixtures/runs/make-fixtures.mjs): one per strategy, plus an
// older, aborted canary run.
const runFiles = readdirSync(new URL('../fixtures/runs/', import.meta.url))
  .filter((name) => name.endsWith('.json'))
  .sort();
const runs = runFiles.map((name) => JSON.parse(fixture(`runs/${name}`)) as RunRecord);
const run = (id: string) => {
  const found = runs.find((r) => r.id === id);
  if (!found) throw new Error(`no fixture ${id}`);
  return found;
};
const rolling = run('2026-11-24T03-18-02-114Z-rolling');
const recreate = run('2026-11-24T03-20-15-530Z-recreate');
const abortedCanary = run('2026-11-24T03-22-40-002Z-canary');
const canary = run('2026-11-24T03-25-31-778Z-canary');
const partition = run('2026-11-24T03-27-44-409Z-partition');

// The overview as `deploy` and `status` print it, from the recorded kubectl output.
const recorded = fixtureJson<List<Pod | StatefulSet | Service | PersistentVolumeClaim>>('kubectl-overview.json');
const ofKind = <T>(kind: string) => recorded.items.filter((item) => (item as { kind?: string }).kind === kind) as T[];
const overviewText = renderOverview(
  {
    pods: ofKind<Pod>('Pod'),
    statefulSets: ofKind<StatefulSet>('StatefulSet'),
    services: ofKind<Service>('Service'),
    claims: ofKind<PersistentVolumeClaim>('PersistentVolumeClaim'),
  },
  Date.parse('2026-11-24T03:30:00Z'),
);

// The cluster the fixtures were measured on (test/fixtures/runs/make-fixtures.mjs).
const TEST_CLUSTER = { uid: '3f0a5c1e-8b2d-4e6f-9a71-0c4d2b8e5f13', server: 'https://127.0.0.1:6443', context: 'kind-lab' };

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    generatedAt: '2026-11-24T03:30:00.000Z',
    release: 'helm-python',
    namespace: 'try',
    cluster: TEST_CLUSTER,
    environment: { kubernetes: 'v1.20.2', helm: 'v4.1.4', kubectl: 'v1.35.2', k8sLab: '0.1.0' },
    overviewText,
    counters: [
      { pod: 'helm-python-0', counter: 347, pvc: 'counter-data-py-helm-python-0' },
      { pod: 'helm-python-1', counter: 343, pvc: 'counter-data-py-helm-python-1' },
    ],
    podManagementPolicy: 'Parallel',
    replicas: 2,
    runs,
    timelineDir: 'timelines',
    ...overrides,
  };
}

const NATIVE_ROW = 'recreate — native Recreate (StatefulSetRecreateStrategy)';
const EMULATED_ROW = 'recreate — emulated: OnDelete + delete';

/** The rows of the comparison table, cell by cell. */
function comparisonRows(markdown: string): Map<string, string[]> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| Strategy |'));
  expect(start).toBeGreaterThan(-1);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    rows.set(cells[0] ?? '', cells);
  }
  return rows;
}

/** `38.4 s` or `250 ms` → milliseconds, with the precision the text has. */
function parseDuration(text: string): { ms: number; precision: number } {
  const match = /^(\d+(?:\.\d+)?) (ms|s)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return match[2] === 's' ? { ms: Number(match[1]) * 1000, precision: 50 } : { ms: Number(match[1]), precision: 0.5 };
}

/** Checks XML well-formedness the simple way: every tag closes in order, attributes are quoted, `&` starts an entity. */
function checkWellFormed(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  while (i < xml.length) {
    const c = xml[i];
    if (c === '&') {
      const end = xml.indexOf(';', i);
      const entity = xml.slice(i + 1, end);
      if (end < 0 || !['amp', 'lt', 'gt', 'quot', 'apos'].includes(entity)) problems.push(`bare & at ${i}`);
      i += 1;
      continue;
    }
    if (c === '>') problems.push(`stray > at ${i}`);
    if (c !== '<') {
      if (!stack.length && c?.trim()) problems.push(`text outside the root at ${i}`);
      i += 1;
      continue;
    }
    const close = xml.indexOf('>', i);
    if (close < 0) {
      problems.push(`unclosed tag at ${i}`);
      break;
    }
    const tag = xml.slice(i + 1, close);
    if (tag.includes('<')) problems.push(`< inside a tag at ${i}`);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}> at ${i}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = body.split(/\s/, 1)[0] ?? '';
      const attributes = body.slice(name.length).trim();
      const rest = attributes.replace(/[\w:-]+="[^"<]*"/g, '').trim();
      if (rest) problems.push(`bad attributes in <${name}>: ${rest}`);
      if (!stack.length) roots += 1;
      if (!selfClosing) stack.push(name);
    }
    i = close + 1;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/**
 * Each fixture's probe figures, worked out by hand from its scenario in make-fixtures.mjs (which
 * states its own hand-worked figures beside each scenario): a sample every intervalMs from 0 while t < durationMs; a
 * sample fails when no pod is Ready (or where the scenario forces a failure); an outage runs from
 * its first failed sample to the next good one.
 * - rolling: 39 180 ms / 250 ms → t = 0 … 39 000, 157 samples; one pod is always Ready: 0 failed.
 * - recreate: 25 470 / 250 → 102 samples; both pods not Ready from 5 050 / 5 060 until
 *   helm-python-0 is Ready at 5 050 + 2 300 + 200 + 12 500 = 20 050: samples 5 250 … 20 000 fail,
 *   (20 000 − 5 250) / 250 + 1 = 60 of them, outage 5 250 → 20 250 = 15 000 ms; 42 / 102 = 41.18 %.
 * - aborted canary: 44 380 / 250 → 178 samples; the old pods serve throughout: 0 failed, and the
 *   canary, never Ready, never counts as down.
 * - canary: 69 170 / 400 → t = 0 … 68 800, 173 samples; the pods are replaced one at a time: 0 failed.
 * - partition: 45 260 / 250 → t = 0 … 45 250, 182 samples; only the forced reset at 26 500 fails,
 *   outage 26 500 → 26 750 = 250 ms; 181 / 182 = 99.45 %.
 * Pods down at once: 2 in recreate (both deleted together), 1 where pods go one at a time.
 */
const HAND = {
  rolling: { requests: 157, failures: 0, ratio: '100.00%', outage: '0 ms', longestOutageMs: 0, down: 1, verdict: 'passed' },
  // Downtime by design: no promise to break.
  recreate: { requests: 102, failures: 60, ratio: '41.18%', outage: '15.0 s', longestOutageMs: 15_000, down: 2, verdict: 'passed' },
  abortedCanary: { requests: 178, failures: 0, ratio: '100.00%', outage: '0 ms', longestOutageMs: 0, down: 0, verdict: 'aborted' },
  canary: { requests: 173, failures: 0, ratio: '100.00%', outage: '0 ms', longestOutageMs: 0, down: 1, verdict: 'passed' },
  // Recorded as passed, but a partitioned rollout of 2 replicas that lost a request broke its promise.
  partition: { requests: 182, failures: 1, ratio: '99.45%', outage: '250 ms', longestOutageMs: 250, down: 1, verdict: 'failed' },
};

describe('run record fixtures', () => {
  it('hold one run of every strategy, small, with the figures worked out by hand', () => {
    expect(new Set(runs.map((r) => r.strategy))).toEqual(new Set(STRATEGIES));
    for (const r of runs) {
      expect(r.samples.length).toBeLessThanOrEqual(200);
      expect(r.probe.requests).toBe(r.samples.length);
      expect(Date.parse(r.endedAt) - Date.parse(r.startedAt)).toBe(r.durationMs);
    }
    for (const [r, hand] of [
      [rolling, HAND.rolling],
      [recreate, HAND.recreate],
      [abortedCanary, HAND.abortedCanary],
      [canary, HAND.canary],
      [partition, HAND.partition],
    ] as const) {
      expect([r.probe.requests, r.probe.failures, r.probe.ok, r.probe.longestOutageMs, r.maxPodsDown]).toEqual([
        hand.requests,
        hand.failures,
        hand.requests - hand.failures,
        hand.longestOutageMs,
        hand.down,
      ]);
    }
    expect(recreate.probe.outages).toEqual([{ start: 5_250, end: 20_250, durationMs: 15_000, failures: 60 }]);
    expect(canary.phases.map((p) => p.name)).toEqual(['baseline', 'scale-out', 'check', 'promote', 'scale-in', 'settle']);
    expect(abortedCanary.verdict).toBe('aborted');
    expect(new Set(canary.podEvents.map((e) => e.pod)).size).toBe(3);
  });
});

describe('renderReport', () => {
  const report = renderReport(input());

  it('renders the whole report (snapshot)', async () => {
    await expect(report.markdown).toMatchFileSnapshot('./__snapshots__/report.md');
    expect(report.files.map((f) => f.path)).toEqual([rolling, recreate, canary, partition].map((r) => `timelines/${r.id}.svg`));
  });

  it("follows the write-up's sections, in its order", () => {
    const headings = report.markdown.split('\n').filter((line) => /^#{1,3} /.test(line));
    expect(headings).toEqual([
      '# StatefulSet lab report: `helm-python`',
      '## Outputs of kubectl get',
      '## Values in volumes',
      '## Lack of need for ordering guarantees',
      '## Parallel operations approach',
      '## Stable network identity',
      '## Strategies for updating',
      '### Rolling update',
      '### Recreate — emulated: OnDelete + delete',
      '### Canary',
      '### Partitioned rollout',
      '## Nodes: drain and loss',
      '### Draining a node',
      '### Losing a node',
    ]);
  });

  it('shows the live overview and one cat per pod with its value', () => {
    expect(report.markdown).toContain(`\`\`\`console\n$ kubectl get po,sts,svc,pvc\n${overviewText}\n\`\`\``);
    expect(report.markdown).toContain(
      '$ kubectl exec helm-python-0 -- cat /data/counter.json\n{"counter": 347}\n$ kubectl exec helm-python-1 -- cat /data/counter.json\n{"counter": 343}',
    );
    expect(report.markdown).toContain('The values differ: `helm-python-0` holds 347 and `helm-python-1` holds 343');
    expect(report.markdown).toContain('`counter-data-py-helm-python-0` belongs to `helm-python-0` only');
  });

  it('puts the numbers of each latest run, and only those, in the comparison table', () => {
    const rows = comparisonRows(report.markdown);
    // The recreate fixture predates native Recreate: it is the emulated kind.
    const name = (strategy: string) => (strategy === 'recreate' ? EMULATED_ROW : strategy);
    expect([...rows.keys()]).toEqual(STRATEGIES.map(name));
    for (const [r, hand] of [
      [rolling, HAND.rolling],
      [recreate, HAND.recreate],
      [canary, HAND.canary],
      [partition, HAND.partition],
    ] as const) {
      const [strategy, versions, duration, requests, ratio, outage, down, data, verdict] = rows.get(name(r.strategy)) ?? [];
      expect(strategy).toBe(name(r.strategy));
      expect(versions).toBe(`${r.versions.from} → ${r.versions.to}`);
      const d = parseDuration(duration ?? '');
      expect(Math.abs(d.ms - r.durationMs)).toBeLessThanOrEqual(d.precision);
      expect([requests, ratio, outage, Number(down)]).toEqual([`${hand.requests} (${hand.failures} failed)`, hand.ratio, hand.outage, hand.down]);
      expect(data).toBe(r.dataPreserved ? '✓' : '✗');
      expect(verdict).toBe(hand.verdict);
    }
    expect(rows.get(EMULATED_ROW)?.slice(2, 7)).toEqual(['25.5 s', '102 (60 failed)', '41.18%', '15.0 s', '2']);
    expect(rows.get('partition')?.[5]).toBe('250 ms');
    expect(rows.get('rolling')?.[5]).toBe('0 ms');
  });

  it('a partition run recorded as passed that lost a request is shown failed, saying why and what the record says', () => {
    expect(partition.verdict).toBe('passed');
    expect(report.markdown).toContain(
      'Verdict: **failed**, every pod runs v5, no data lost, but 1 of 182 requests through the Service failed (longest outage 250 ms), where a partition update of 2 replicas promises to keep serving (the run record, made before k8s-lab judged this, says passed).',
    );
  });

  it('uses the latest run when a strategy has two, and names the older one', () => {
    expect(Date.parse(abortedCanary.startedAt)).toBeLessThan(Date.parse(canary.startedAt));
    expect(comparisonRows(report.markdown).get('canary')?.[8]).toBe('passed');
    expect(report.markdown).toContain(`Latest run \`${canary.id}\``);
    expect(report.markdown).not.toContain(`Latest run \`${abortedCanary.id}\``);
    expect(report.markdown).toContain(`Older run of this strategy, not shown: \`${abortedCanary.id}\` (aborted, v3 → v4).`);
    // Whatever order the records are found in.
    expect(renderReport(input({ runs: [...runs].reverse() })).markdown).toBe(report.markdown);
    // Alone, the aborted run is the latest one and is shown as such.
    const aborted = renderReport(input({ runs: [abortedCanary] })).markdown;
    expect(comparisonRows(aborted).get('canary')?.slice(7)).toEqual(['✓', 'aborted']);
    expect(aborted).toContain('Verdict: **aborted**');
  });

  describe('native and emulated recreate', () => {
    // A native run 10 minutes after the emulated fixture, with its own numbers.
    const native: RunRecord = {
      ...recreate,
      id: '2026-11-24T03-31-00-000Z-recreate',
      startedAt: '2026-11-24T03:31:00.000Z',
      versions: { from: 'v5', to: 'v6' },
      durationMs: 14_200,
      probe: { ...recreate.probe, requests: 140, ok: 60, failures: 80, successRatio: 60 / 140, longestOutageMs: 8_000 },
      maxPodsDown: 2,
      method: {
        id: 'native-recreate',
        label: 'native Recreate (StatefulSetRecreateStrategy)',
        why: 'the API server accepts updateStrategy Recreate (server-side dry-run)',
      },
    };
    const emulated: RunRecord = { ...recreate, method: { id: 'emulated-recreate', label: 'emulated: OnDelete + delete', why: '--emulate-recreate' } };

    it('shows both side by side, each with its own numbers, native first', () => {
      const markdown = renderReport(input({ runs: [rolling, emulated, native, canary, partition] })).markdown;
      const rows = comparisonRows(markdown);
      expect([...rows.keys()]).toEqual(['rolling', NATIVE_ROW, EMULATED_ROW, 'canary', 'partition']);
      expect(rows.get(NATIVE_ROW)?.slice(1, 9)).toEqual(['v5 → v6', '14.2 s', '140 (80 failed)', '42.86%', '8.0 s', '2', '✓', 'passed']);
      expect(rows.get(EMULATED_ROW)?.slice(1, 6)).toEqual(['v2 → v3', '25.5 s', '102 (60 failed)', '41.18%', '15.0 s']);
      // A section for each, saying how it was carried out and why.
      expect(markdown).toContain('### Recreate — native Recreate (StatefulSetRecreateStrategy)');
      expect(markdown).toContain('### Recreate — emulated: OnDelete + delete');
      expect(markdown).toContain(
        'Carried out as **native Recreate (StatefulSetRecreateStrategy)**: the API server accepts updateStrategy Recreate (server-side dry-run).',
      );
      expect(markdown).toContain('Carried out as **emulated: OnDelete + delete**: --emulate-recreate.');
      expect(markdown).toContain(`Latest run \`${native.id}\``);
      expect(markdown).toContain(`Latest run \`${emulated.id}\``);
      expect(markdown).not.toContain('Older run');
      // The run records line counts the table's rows, not only the strategies.
      expect(markdown).toContain(
        '- Run records: 5 runs of this release; the comparison uses the latest of each strategy, native and emulated recreate apart (5 runs of 4 strategies)',
      );
    });

    it('a newer native run does not hide the emulated one, and the other way round', () => {
      const newerEmulated = { ...emulated, id: 'later-emulated', startedAt: '2026-11-24T04:00:00.000Z' };
      const rows = comparisonRows(renderReport(input({ runs: [native, emulated, newerEmulated] })).markdown);
      expect(rows.get(NATIVE_ROW)?.[1]).toBe('v5 → v6');
      expect(rows.get(EMULATED_ROW)?.[2]).toBe('25.5 s');
      const markdown = renderReport(input({ runs: [native, emulated, newerEmulated] })).markdown;
      expect(markdown).toContain('Latest run `later-emulated`');
      expect(markdown).toContain(`Older run of this kind, not shown: \`${emulated.id}\``);
    });

    it('with only a native run, one recreate row, the native one', () => {
      const rows = comparisonRows(renderReport(input({ runs: [native] })).markdown);
      expect([...rows.keys()]).toEqual(['rolling', NATIVE_ROW, 'canary', 'partition']);
      expect(rows.get('rolling')?.[1]).toBe('no run recorded');
      expect(renderReport(input({ runs: [native] })).markdown).toContain(
        '- Run records: 1 run of this release; the comparison uses the latest of each strategy (1 strategy measured)',
      );
    });
  });

  it('reports a strategy without a run, with the command that records one', () => {
    const markdown = renderReport(input({ runs: [rolling, recreate, canary] })).markdown;
    const row = comparisonRows(markdown).get('partition');
    expect(row?.[1]).toBe('no run recorded');
    expect(row?.[8]).toBe('run `npx k8s-lab demo-update --strategy partition`');
    expect(markdown).toContain('No run of this strategy is recorded yet. To measure one:\n\n```sh\nnpx k8s-lab demo-update --strategy partition\n```');
    const none = renderReport(input({ runs: [] }));
    expect(none.files).toEqual([]);
    expect([...comparisonRows(none.markdown).values()].map((cells) => cells[1])).toEqual(STRATEGIES.map(() => 'no run recorded'));
  });

  it('leaves out the runs of another release or namespace', () => {
    const elsewhere = { ...partition, id: 'elsewhere', namespace: 'other', startedAt: '2027-01-01T00:00:00.000Z' };
    const markdown = renderReport(input({ runs: [...runs, elsewhere] })).markdown;
    expect(markdown).not.toContain('elsewhere');
    expect(markdown).toContain('1 record of another cluster, release or namespace left out');
  });

  it('uses only the records of the cluster it reads, and leaves out records without a cluster identity', () => {
    // The same release and namespace, measured on another cluster (another kube-system UID), and
    // a record written before records kept their cluster (like the committed sample's).
    const otherCluster = { ...partition, id: 'other-cluster', startedAt: '2027-01-01T00:00:00.000Z', cluster: { ...TEST_CLUSTER, uid: 'aaaaaaaa-0000' } };
    const unidentified: Partial<RunRecord> = { ...recreate, id: 'no-identity', startedAt: '2027-01-02T00:00:00.000Z' };
    delete unidentified.cluster;
    const markdown = renderReport(input({ runs: [...runs, otherCluster, unidentified as RunRecord] })).markdown;
    expect(markdown).not.toContain('other-cluster');
    expect(markdown).not.toContain('no-identity');
    // The latest partition and recreate rows are still the fixtures' own.
    expect(markdown).toContain('Latest run `2026-11-24T03-27-44-409Z-partition`');
    expect(markdown).toContain('Latest run `2026-11-24T03-20-15-530Z-recreate`');
    expect(markdown).toContain('1 record of another cluster, release or namespace left out');
    expect(markdown).toContain('1 record without a cluster identity (written by an older k8s-lab) left out');
    expect(markdown).toContain(
      '- Cluster: Kubernetes v1.20.2; context `kind-lab`, API server `https://127.0.0.1:6443`; run records are matched by the UID of its kube-system namespace, `3f0a5c1e-8b2d-4e6f-9a71-0c4d2b8e5f13`',
    );
  });

  it("says when a run's figures were measured through the API server's service proxy", () => {
    const note = "Measured through the API server's service proxy";
    const viaApi = { ...partition, probeVia: 'api-server-proxy' as const };
    expect(renderReport(input({ runs: [rolling, viaApi] })).markdown).toContain(`${note}: no NodePort or node address answered from this machine`);
    expect(renderReport(input({ runs: [rolling, partition] })).markdown).not.toContain(note);
  });

  it('matches records by the API server URL when the kube-system namespace could not be read', () => {
    const namespaced = { uid: null, server: TEST_CLUSTER.server, context: 'lab-user' };
    const elsewhere = { ...partition, id: 'elsewhere', startedAt: '2027-01-01T00:00:00.000Z', cluster: { ...TEST_CLUSTER, server: 'https://10.0.0.9:6443' } };
    const markdown = renderReport(input({ cluster: namespaced, runs: [...runs, elsewhere] })).markdown;
    expect(markdown).not.toContain('elsewhere');
    expect(markdown).toContain('Latest run `2026-11-24T03-27-44-409Z-partition`');
    expect(markdown).toContain('its kube-system namespace could not be read, so run records are matched by the API server URL');
    const none = renderReport(input({ runs: [unidentifiedOnly()] })).markdown;
    expect(none).toContain(
      '- Run records: none yet (see "Strategies for updating"); 1 record without a cluster identity (written by an older k8s-lab) left out',
    );
  });

  it('of a partial lab says how to record each missing strategy and why a counter was not read', () => {
    const partial = renderReport(
      input({
        runs: [abortedCanary],
        podManagementPolicy: 'OrderedReady',
        counters: [
          { pod: 'helm-python-0', counter: 5, pvc: 'counter-data-py-helm-python-0' },
          { pod: 'helm-python-1', counter: null, pvc: null, error: 'pod is Pending' },
        ],
      }),
    );
    for (const strategy of ['rolling', 'recreate', 'partition']) {
      expect(partial.markdown).toContain(
        `No run of this strategy is recorded yet. To measure one:\n\n\`\`\`sh\nnpx k8s-lab demo-update --strategy ${strategy}\n\`\`\``,
      );
    }
    expect(partial.markdown).not.toContain('npx k8s-lab demo-update --strategy canary\n```');
    expect(partial.markdown).toContain('The counter of `helm-python-1` could not be read (pod is Pending).');
    expect(partial.files.map((f) => f.path)).toEqual(['timelines/2026-11-24T03-22-40-002Z-canary.svg']);

    // REPORT_SAMPLE_DIR=/tmp/sample npx vitest run --project unit test/unit/report: this report and
    // the full one, with their SVGs, on disk to look at or to run markdownlint-cli2 on.
    const dir = process.env.REPORT_SAMPLE_DIR;
    if (!dir) return;
    for (const file of [
      { path: 'report.md', content: report.markdown },
      ...report.files,
      { path: 'partial/report.md', content: partial.markdown },
      ...partial.files.map((f) => ({ ...f, path: `partial/${f.path}` })),
    ]) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.content);
    }
  });

  it('is byte-identical on every render', () => {
    const again = renderReport(input());
    expect(again.markdown).toBe(report.markdown);
    expect(again.files).toEqual(report.files);
  });

  it('writes the timelines where it links them', () => {
    for (const file of report.files) expect(report.markdown).toContain(`](${file.path})`);
    const flat = renderReport(input({ timelineDir: undefined }));
    expect(flat.files[0]?.path).toBe(`timelines/${rolling.id}.svg`);
    expect(renderReport(input({ timelineDir: './svg/' })).files[0]?.path).toBe(`svg/${rolling.id}.svg`);
    const odd = renderReport(input({ runs: [{ ...rolling, id: '../x y(1)' }] }));
    expect(odd.files[0]?.path).toBe('timelines/x-y-1-.svg');
  });

  it('says honestly when the StatefulSet orders its pods', () => {
    const markdown = renderReport(input({ podManagementPolicy: 'OrderedReady', replicas: 3 })).markdown;
    expect(markdown).toContain('it is `OrderedReady`, the default, so parallel operations are not in effect on this release');
    expect(markdown).toContain('(3 replicas)');
    expect(markdown).not.toContain('it is `Parallel`');
    expect(report.markdown).toContain('its live `podManagementPolicy` is `Parallel`');
  });

  it('reports counters it could not read without inventing a value', () => {
    const markdown = renderReport(
      input({
        counters: [
          { pod: 'helm-python-0', counter: 5, pvc: 'counter-data-py-helm-python-0' },
          { pod: 'helm-python-1', counter: null, pvc: null, error: 'pod is Pending' },
        ],
      }),
    ).markdown;
    expect(markdown).toContain('$ kubectl exec helm-python-0 -- cat /data/counter.json\n{"counter": 5}\n```');
    expect(markdown).not.toContain('kubectl exec helm-python-1');
    expect(markdown).toContain('The counter of `helm-python-1` could not be read (pod is Pending).');
    expect(markdown).toContain('`helm-python-1` has no PersistentVolumeClaim mounted.');
  });

  it('escapes text from records in the Markdown', () => {
    const marked = { ...abortedCanary, notes: ['<b>bold</b> & "quotes" | pipes *stars* [link](x)'], phases: [{ name: 'a | b', start: 0, end: 1 }] };
    const markdown = renderReport(input({ runs: [marked] })).markdown;
    expect(markdown).toContain('- \\<b\\>bold\\</b\\> & "quotes" \\| pipes \\*stars\\* \\[link\\](x)');
    expect(markdown).toContain('| a \\| b | 0.0 s |');
    expect(markdown).not.toContain('<b>');
  });

  it('keeps to the Markdown rules markdownlint checks by default', () => {
    const { markdown } = report;
    expect(markdown.endsWith('\n') && !markdown.endsWith('\n\n')).toBe(true);
    expect(markdown).not.toMatch(/[ \t]+$/m);
    expect(markdown).not.toMatch(/\n{3,}/);
    const lines = markdown.split('\n');
    let inFence = false;
    lines.forEach((line, i) => {
      if (line.startsWith('```')) {
        if (!inFence) expect(line.length, `fence without a language on line ${i + 1}`).toBeGreaterThan(3);
        if (!inFence && i > 0) expect(lines[i - 1]).toBe('');
        if (inFence) expect(lines[i + 1] ?? '').toBe('');
        inFence = !inFence;
      } else if (!inFence && /^#+ /.test(line)) {
        if (i > 0) expect(lines[i - 1]).toBe('');
        expect(lines[i + 1]).toBe('');
      } else if (!inFence && line.startsWith('|')) {
        expect(line.endsWith('|')).toBe(true);
      }
    });
    expect(inFence).toBe(false);
  });
});

describe('timelines', () => {
  it('render the recreate run as SVG (snapshot)', async () => {
    await expect(renderTimelineSvg(recreate)).toMatchFileSnapshot(`./__snapshots__/report-${recreate.id}.svg`);
  });

  it('are well-formed XML, for every run', () => {
    for (const r of runs) expect(checkWellFormed(renderTimelineSvg(r)), r.id).toEqual([]);
  });

  it('escape the text that comes from a record', () => {
    const hostile = {
      ...rolling,
      id: 'id<&>"\'',
      versions: { from: 'v1 & <v2>', to: '"v3"' },
      phases: [{ name: '<script>alert(1)</script>', start: 0, end: 38_400, detail: "it's & done" }],
      podEvents: rolling.podEvents.map((e) => ({ ...e, pod: `${e.pod}<x>` })),
    };
    const svg = renderTimelineSvg(hostile);
    expect(checkWellFormed(svg)).toEqual([]);
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<x>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('helm-python-1&lt;x&gt;');
    expect(svg).toContain('v1 &amp; &lt;v2&gt; → &quot;v3&quot;');
    expect(svg).toContain('it&apos;s &amp; done');
    expect(escapeXml('a\u0001b')).toBe('ab');
  });

  it('stay small when a run has thousands of samples', () => {
    const samples = Array.from({ length: 20_000 }, (_, i) => ({ t: i * 2, ok: i % 1000 !== 500, latencyMs: 3 }));
    const busy = { ...rolling, durationMs: 40_000, samples };
    const svg = renderTimelineSvg(busy);
    expect(checkWellFormed(svg)).toEqual([]);
    expect(svg.length).toBeLessThan(20_000);
    const failedTicks = /stroke="#cf222e" stroke-width="1.5"/.test(svg) ? (svg.match(/d="([^"]*)" stroke="#cf222e"/)?.[1]?.match(/M/g) ?? []).length : 0;
    expect(failedTicks).toBe(20);
  });

  it('show each pod Ready, not Ready or absent from the pod events', () => {
    const [pod0, pod1] = podLanes(rolling);
    expect(pod1?.pod).toBe('helm-python-1');
    expect(pod1?.segments).toEqual([
      { state: 'ready', start: 0, end: 4_350, version: 'v1' },
      { state: 'not-ready', start: 4_350, end: 7_050, version: 'v1' },
      { state: 'absent', start: 7_050, end: 7_250 },
      { state: 'not-ready', start: 7_250, end: 19_650, version: 'v2' },
      { state: 'ready', start: 19_650, end: 39_180, version: 'v2' },
    ]);
    expect(pod0?.segments[0]).toEqual({ state: 'ready', start: 0, end: 19_900, version: 'v1' });
    // The canary pod did not exist before it was created, and is gone after scale-in.
    const canaryPod = podLanes(canary).find((lane) => lane.pod === 'helm-python-2');
    expect(canaryPod?.segments.map((s) => s.state)).toEqual(['absent', 'not-ready', 'ready', 'not-ready', 'absent']);
  });

  it('draw phases and outage windows as a Mermaid gantt', () => {
    expect(renderMermaidGantt(recreate)).toBe(
      [
        'gantt',
        '  title recreate v2 → v3, seconds since the start',
        '  dateFormat x',
        '  axisFormat %s',
        '  todayMarker off',
        '  section Phases',
        '  baseline :phase0, 0, 3000',
        '  prepare :phase1, 3000, 4900',
        '  recreate :phase2, 4900, 20600',
        '  restore :phase3, 20600, 22400',
        '  settle :phase4, 22400, 25400',
        '  section Outages',
        '  no answer (60 failed) :crit, outage0, 5250, 20250',
      ].join('\n'),
    );
    expect(renderMermaidGantt({ ...rolling, phases: [{ name: 'a: b; c # d', start: 0, end: 1 }] })).toContain('  a b c d :phase0, 0, 1');
  });
});

function unidentifiedOnly(): RunRecord {
  const record: Partial<RunRecord> = { ...rolling };
  delete record.cluster;
  return record as RunRecord;
}

describe('report template', () => {
  it('has a value for every placeholder it uses', () => {
    expect(templatePlaceholders(readTemplate())).toEqual([
      'release',
      'generatedAt',
      'namespace',
      'kubernetes',
      'cluster',
      'helm',
      'kubectl',
      'k8sLab',
      'runRecords',
      'overview',
      'volumeValues',
      'perPodStorage',
      'volumeLessons',
      'orderingPolicy',
      'orderingMeasured',
      'parallel',
      'parallelMeasured',
      'identity',
      'comparison',
      'strategies',
      'nodes',
    ]);
  });

  it('is filled in one pass, and refuses a missing or unknown value', () => {
    expect(fillTemplate('a {{x}} b {{ y }}', { x: '{{y}}', y: '2' })).toBe('a {{y}} b 2');
    expect(() => fillTemplate('{{x}} {{y}}', { x: '1' })).toThrow('no value for y');
    expect(() => fillTemplate('{{x}}', { x: '1', z: '2' })).toThrow('no placeholder for z');
  });

  it('drops the lines that are only comments (where the template cites its sources), nothing else', () => {
    const template = '# T\n<!-- source: docs -->\nText {{x}} <!-- kept: not alone on its line -->\n<!--\nmulti\n-->\nend\n';
    expect(fillTemplate(template, { x: '1' })).toBe('# T\nText 1 <!-- kept: not alone on its line -->\nend\n');
    expect(readTemplate()).toContain('<!-- kubernetes.io/docs/concepts/workloads/controllers/statefulset/#pod-management-policies');
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 ms'],
    [250, '250 ms'],
    [999.4, '999 ms'],
    [999.6, '1.0 s'],
    [1_400, '1.4 s'],
    [38_400, '38.4 s'],
    [15_500, '15.5 s'],
  ])('formatDuration(%d) → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('formats ratios, code spans and record text for Markdown', () => {
    expect(formatPercent(62 / 84)).toBe('73.81%');
    expect(formatPercent(1)).toBe('100.00%');
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(markdownText('a | b\n<c> *d*')).toBe('a \\| b \\<c\\> \\*d\\*');
    expect(markdownText('through http://10.0.0.1:31987/x_y (NodePort), see https://a.b/c.')).toBe(
      'through `http://10.0.0.1:31987/x_y` (NodePort), see `https://a.b/c`.',
    );
  });
});

describe('the committed sample report (lab-report/sample/)', () => {
  const sample = join(REPO_ROOT, 'lab-report', 'sample');
  it('is apart from where commands write and read by default', () => {
    for (const dir of [
      DEFAULTS.report.recordDir,
      DEFAULTS.report.lessonDir,
      DEFAULTS.demoUpdate.recordDir,
      DEFAULTS.demoScale.recordDir,
      dirname(DEFAULTS.report.output),
    ]) {
      expect(resolve(REPO_ROOT, dir).startsWith(sample)).toBe(false);
    }
    expect(readdirSync(join(sample, 'runs')).length).toBeGreaterThan(0);
  });

  it('holds records measured on another machine: even when pointed at them, a report leaves them out', () => {
    const warnings: string[] = [];
    const sampleRuns = readRunRecords(join(sample, 'runs'), (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    // The ids are the file names (read here with readdirSync, not through the report's reader).
    const ids = readdirSync(join(sample, 'runs')).map((f) => f.replace(/\.json$/, ''));
    expect(sampleRuns.map((r) => r.id).sort()).toEqual(ids.sort());
    const markdown = renderReport(input({ release: 'helm-python', namespace: 'default', runs: sampleRuns })).markdown;
    for (const id of ids) expect(markdown).not.toContain(id);
    expect(markdown).toContain(
      `- Run records: none yet (see "Strategies for updating"); ${ids.length} records of another cluster, release or namespace left out`,
    );
  });
});
