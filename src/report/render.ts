import { CLAIM_TEMPLATE } from '../adapters/kube-objects.js';
import { sameCluster, type ClusterIdentity } from '../adapters/kubectl.js';
import { COUNTER_FILE, type CounterReading } from '../counters.js';
import { STRATEGIES, type RunRecord, type Strategy } from '../demos/record.js';
import {
  compareByOrdinal,
  formatCounter,
  formatDuration,
  formatOffset,
  formatPercent,
  inlineCode,
  markdownList,
  markdownTable,
  markdownText,
} from './format.js';
import { comparisonTable, demoCommand, judged, rowOf, runsByRow, shownRows, STRATEGY_DESCRIPTIONS, STRATEGY_TITLES, type RowKey } from './strategy-sections.js';
import { latestDrain, nodesSection } from './nodes.js';
import { API_SERVER_NOTE, lessonsOf, orderingMeasured, parallelMeasured, renderScaleSvg, scaleSvgPath, volumeLessons, type LessonRecord } from './lessons.js';
import { nodeLossPart } from './node-loss.js';
import type { NodeLossRecord } from '../demos/node-loss-record.js';
import { renderTimelineSvg } from './svg.js';
import { identityRuns, identitySection, identitySvgPath, renderIdentitySvg } from './identity.js';
import type { IdentityRecord } from '../demos/identity-analysis.js';
import { controlPlaneNote } from './control-plane.js';
import { fillTemplate, readTemplate } from './template.js';
import { renderMermaidGantt } from './timeline.js';

export interface ReportInput {
  /** ISO date, passed in so the output is deterministic. */
  generatedAt: string;
  release: string;
  namespace: string;
  environment: { kubernetes: string; helm: string; kubectl: string; k8sLab: string };
  /** The rendered `kubectl get po,sts,svc,pvc` (renderOverview). */
  overviewText: string;
  /** Live, one per pod; a CounterReading fits as it is. */
  counters: (Pick<CounterReading, 'pod' | 'counter' | 'pvc'> & { error?: string })[];
  /** Read from the live StatefulSet. */
  podManagementPolicy: string;
  replicas: number;
  /** The cluster read: the report uses only the records measured on it (see sameCluster). */
  cluster: ClusterIdentity;
  /** All run records found; the report uses those of this cluster, release and namespace, the latest per strategy. */
  runs: RunRecord[];
  /** The lessons' run records (demo-scale, demo-failover); the report uses those of this cluster, release and namespace. */
  lessons?: LessonRecord[];
  /** Relative directory the SVG timelines are linked from and written to; `timelines` when not given. */
  timelineDir?: string;
}

export interface RenderedReport {
  markdown: string;
  /** SVG timelines to write next to the report (paths relative to it). */
  files: { path: string; content: string }[];
}

/**
 * Renders the lab report from live cluster reads and run records. Pure apart from reading the
 * packaged template (`templates/report.md`); pass `template` to skip even that.
 */
export function renderReport(input: ReportInput, template: string = readTemplate()): RenderedReport {
  const scope = { cluster: input.cluster, release: input.release, namespace: input.namespace };
  const runs = input.runs.filter((run) => measuredOn(run, scope) && STRATEGIES.includes(run.strategy));
  const byRow = runsByRow(runs);
  const latest = new Map<RowKey, RunRecord>();
  for (const [key, own] of byRow) if (own[0]) latest.set(key, own[0]);
  const timelineDir = normalizeDir(input.timelineDir ?? 'timelines');

  const files: RenderedReport['files'] = [];
  const sections = shownRows(latest).map((row) => {
    const [run, ...older] = typeof row === 'string' ? [] : (byRow.get(row.key) ?? []);
    if (typeof row === 'string' || !run) return missingRunSection(typeof row === 'string' ? row : row.strategy);
    const svgPath = `${timelineDir}${fileName(run.id)}.svg`;
    files.push({ path: svgPath, content: renderTimelineSvg(run) });
    return runSection(run, older, svgPath);
  });

  const ownLessons = (input.lessons ?? []).filter((record) => measuredOn(record, scope));
  const lessons = lessonsOf(ownLessons);
  const nodeLoss = nodeLossPart(
    ownLessons.filter((r): r is NodeLossRecord => r.lesson === 'node-loss'),
    timelineDir,
  );
  const nodes = nodesSection(latestDrain(ownLessons), timelineDir, [nodeLoss.markdown]);
  files.push(...nodes.files, ...nodeLoss.files);
  const scalePictures = lessons.scale.map(({ record, run }) => {
    const path = scaleSvgPath(timelineDir, record, run);
    files.push({ path, content: renderScaleSvg(run) });
    return path;
  });

  const identity = identityRuns((input.lessons ?? []).filter((r): r is IdentityRecord => r.lesson === 'identity' && measuredOn(r, scope)));
  const identityPictures = new Map(identity.map((r) => [r.id, identitySvgPath(timelineDir, r)]));
  for (const r of identity) files.push({ path: identitySvgPath(timelineDir, r), content: renderIdentitySvg(r) });

  const markdown = fillTemplate(template, {
    release: inlineCode(input.release),
    namespace: inlineCode(input.namespace),
    generatedAt: markdownText(input.generatedAt),
    kubernetes: markdownText(input.environment.kubernetes),
    cluster: clusterLine(input.cluster),
    helm: markdownText(input.environment.helm),
    kubectl: markdownText(input.environment.kubectl),
    k8sLab: markdownText(input.environment.k8sLab),
    runRecords: runRecordsLine(input.runs, runs.length, latest.size, new Set([...latest.values()].map((run) => run.strategy)).size),
    overview: codeBlockText(input.overviewText),
    volumeValues: volumeValues(input),
    perPodStorage: perPodStorage(input, latest),
    volumeLessons: volumeLessons(lessons.scale, lessons.failovers),
    orderingPolicy: orderingPolicy(input.podManagementPolicy),
    orderingMeasured: orderingMeasured(lessons.scale),
    parallel: parallelOperations(input),
    parallelMeasured: parallelMeasured(lessons.scale, scalePictures),
    identity: identitySection(identity, identityPictures),
    comparison: comparisonTable(latest),
    strategies: sections.join('\n\n'),
    nodes: nodes.markdown,
  });
  return { markdown: tidyMarkdown(markdown), files };
}

/** What a report reads: a record counts only when it was measured on this cluster, release and namespace. */
export interface RecordScope {
  cluster: ClusterIdentity;
  release: string;
  namespace: string;
}

export function measuredOn(record: { cluster?: ClusterIdentity; release: string; namespace: string }, scope: RecordScope): boolean {
  return record.release === scope.release && record.namespace === scope.namespace && sameCluster(record.cluster, scope.cluster);
}

/** `timelines` → `timelines/`; empty or `.` → '' (next to the report). */
function normalizeDir(dir: string): string {
  const trimmed = dir
    .replace(/\\/g, '/')
    .replace(/\/+$/, '')
    .replace(/^\.\/?/, '');
  return trimmed ? `${trimmed}/` : '';
}

/** A record id as a file name and link target: anything but letters, digits, `.`, `_`, `-` becomes `-`. */
function fileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '') || 'run';
}

/** Text placed inside a fenced block: no trailing spaces, no stray fence. */
function codeBlockText(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd());
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  while (lines.length && !lines[0]) lines.shift();
  return lines.map((line) => (line.startsWith('```') ? ` ${line}` : line)).join('\n');
}

/** Blank lines never doubled, no trailing spaces, exactly one final new line. */
function tidyMarkdown(markdown: string): string {
  return `${markdown
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** How the report names the cluster it read, and how it knows the records measured there. */
function clusterLine(cluster: ClusterIdentity): string {
  const where = [cluster.context && `context ${inlineCode(cluster.context)}`, cluster.server && `API server ${inlineCode(cluster.server)}`]
    .filter(Boolean)
    .join(', ');
  const how = cluster.uid
    ? `run records are matched by the UID of its kube-system namespace, ${inlineCode(cluster.uid)}`
    : 'its kube-system namespace could not be read, so run records are matched by the API server URL';
  return `${where ? `${where}; ` : ''}${how}`;
}

/**
 * `shown` is the comparison table's rows with a run; more than `strategies` when native and emulated
 * recreate both ran (a row each), and the line says so rather than count strategies alone. Records
 * left out are counted: of another cluster, release or namespace; or without a cluster identity
 * (written before k8s-lab kept one, or copied from elsewhere, such as the committed sample).
 */
function runRecordsLine(all: RunRecord[], own: number, shown: number, strategies: number): string {
  const unidentified = all.filter((run) => !run.cluster).length;
  const other = all.length - own - unidentified;
  const left = [
    other ? `; ${plural(other, 'record')} of another cluster, release or namespace left out` : '',
    unidentified ? `; ${plural(unidentified, 'record')} without a cluster identity (written by an older k8s-lab) left out` : '',
  ].join('');
  if (own === 0) return `none yet (see "Strategies for updating")${left}`;
  const measured =
    shown === strategies
      ? `the latest of each strategy (${plural(strategies, 'strategy', 'strategies')} measured)`
      : `the latest of each strategy, native and emulated recreate apart (${plural(shown, 'run')} of ${plural(strategies, 'strategy', 'strategies')})`;
  return `${plural(own, 'run')} of this release; the comparison uses ${measured}${left}`;
}

function volumeValues(input: ReportInput): string {
  const read = [...input.counters].sort((a, b) => compareByOrdinal(a.pod, b.pod)).filter((c) => c.counter !== null);
  if (!read.length) return `No counter could be read from the pods of ${inlineCode(input.release)}.`;
  const lines = read.flatMap((c) => [`$ kubectl exec ${c.pod} -- cat ${COUNTER_FILE}`, `{"counter": ${c.counter}}`]);
  return ['```console', codeBlockText(lines.join('\n')), '```'].join('\n');
}

function perPodStorage(input: ReportInput, latest: Map<RowKey, RunRecord>): string {
  const counters = [...input.counters].sort((a, b) => compareByOrdinal(a.pod, b.pod));
  const sentences: string[] = [];
  const read = counters.filter((c): c is typeof c & { counter: number } => c.counter !== null);
  const holds = joinWords(read.map((c) => `${inlineCode(c.pod)} holds ${c.counter}`));
  if (read.length === 1) sentences.push(`${holds}.`);
  else if (read.length > 1) {
    const distinct = new Set(read.map((c) => c.counter)).size;
    if (distinct === read.length) sentences.push(`The values differ: ${holds}, because each pod counts only the requests it answered itself, in its own file.`);
    else if (distinct === 1)
      sentences.push(
        `All ${read.length} pods hold the same value, ${read[0]?.counter}, right now; each still counts only the requests it answered itself, in its own file.`,
      );
    else sentences.push(`${holds}: each pod counts only the requests it answered itself, in its own file.`);
  }
  for (const c of counters.filter((c) => c.counter === null)) {
    sentences.push(`The counter of ${inlineCode(c.pod)} could not be read${c.error ? ` (${markdownText(c.error)})` : ''}.`);
  }

  const claimed = counters.filter((c): c is typeof c & { pvc: string } => c.pvc !== null);
  if (claimed.length) {
    const fromTemplate = claimed.every((c) => c.pvc.startsWith(`${CLAIM_TEMPLATE}-`))
      ? `, made from the StatefulSet's volumeClaimTemplate ${inlineCode(CLAIM_TEMPLATE)}`
      : '';
    const owners = joinWords(
      claimed.map((c, i) => (i === 0 ? `${inlineCode(c.pvc)} belongs to ${inlineCode(c.pod)} only` : `${inlineCode(c.pvc)} to ${inlineCode(c.pod)}`)),
    );
    sentences.push(`Each pod has its own PersistentVolumeClaim${fromTemplate}: ${owners}.`);
  }
  for (const c of counters.filter((c) => c.pvc === null)) sentences.push(`${inlineCode(c.pod)} has no PersistentVolumeClaim mounted.`);
  // A StatefulSet pod keeps its name and its claims when rescheduled or re-created
  // (statefulset/#stable-storage); demo-failover --mode delete measures it (volumeLessons).
  if (claimed.length) sentences.push('A pod that is replaced comes back under the same name and mounts the same claim.');

  if (!latest.size) {
    sentences.push(`Whether the files survive an update is measured by ${inlineCode('npx k8s-lab demo-update')}; no run is recorded yet.`);
  } else {
    const name = (run: RunRecord) => (run.verdict === 'aborted' ? `${rowOf(run).short} (aborted)` : rowOf(run).short);
    const kept = [...latest.values()].filter((run) => run.dataPreserved).map(name);
    const lost = [...latest.values()].filter((run) => !run.dataPreserved).map(name);
    const updated = [...latest.values()].some((run) => run.dataPreserved && run.verdict !== 'aborted');
    if (!lost.length) {
      sentences.push(
        `${updated ? 'These files remain intact when the pods are updated: in' : 'In'} the latest ${kept.length === 1 ? 'run' : 'runs'} of ${joinWords(kept)}, no counter went down and no PVC changed (data checks below).`,
      );
    } else if (!kept.length)
      sentences.push(`In the latest ${lost.length === 1 ? 'run' : 'runs'} of ${joinWords(lost)} the data was not preserved (data checks below).`);
    else sentences.push(`In the latest runs the data was preserved by ${joinWords(kept)} but not by ${joinWords(lost)} (data checks below).`);
  }
  return sentences.join(' ');
}

// OrderedReady is the default and starts pods one at a time in ordinal order
// (kubernetes.io/docs/concepts/workloads/controllers/statefulset/#orderedready-pod-management);
// how much slower that scales is measured by demo-scale (orderingMeasured).
function orderingPolicy(policy: string): string {
  if (policy === 'Parallel') return 'Accordingly the StatefulSet asks for no ordering: its live `podManagementPolicy` is `Parallel`.';
  if (policy === 'OrderedReady') {
    return 'The live StatefulSet still asks for ordering, though: its `podManagementPolicy` is `OrderedReady`, the Kubernetes default, so its pods start one at a time in ordinal order. The app does not need that guarantee; it only makes scaling slower (measured below).';
  }
  return `The live StatefulSet reports ${inlineCode(`podManagementPolicy: ${policy}`)}, a value this report does not explain.`;
}

// Parallel: the controller launches and terminates pods without waiting; scaling only, updates are
// not affected (statefulset/#parallel-pod-management). A RollingUpdate replaces pods from the
// highest ordinal down, one at a time (statefulset/#rolling-updates) unless
// rollingUpdate.maxUnavailable says more (statefulset/#maximum-unavailable-pods). The spec fields
// a StatefulSet update may change do not include podManagementPolicy (kubernetes/kubernetes
// pkg/apis/apps/validation/validation.go, ValidateStatefulSetUpdate); whenDeleted Retain (the
// default) keeps the PVCs when the StatefulSet goes (statefulset/#persistentvolumeclaim-retention).
function parallelOperations(input: ReportInput): string {
  const on = `On the live StatefulSet ${inlineCode(input.release)} (${plural(input.replicas, 'replica')}) it is`;
  if (input.podManagementPolicy === 'Parallel') {
    return `${on} \`Parallel\`: the controller creates and deletes pods without waiting for lower ordinals to be Running and Ready first, so its ${plural(input.replicas, 'pod')} start together and, in the recreate demo, come back together. The policy governs scaling only: a \`RollingUpdate\` still replaces pods highest ordinal first, one at a time unless \`rollingUpdate.maxUnavailable\` allows more.`;
  }
  if (input.podManagementPolicy === 'OrderedReady') {
    return `${on} \`OrderedReady\`, the default, so parallel operations are not in effect on this release: the controller creates pods one at a time in ordinal order, each only after the previous one is Running and Ready, and deletes them in reverse order. The bundled chart sets \`Parallel\`; \`podManagementPolicy\` cannot be changed on an existing StatefulSet, so switching means re-creating the StatefulSet (its PVCs stay).`;
  }
  return `${on} ${inlineCode(input.podManagementPolicy)}.`;
}

function missingRunSection(strategy: Strategy): string {
  return [
    `### ${STRATEGY_TITLES[strategy]}`,
    STRATEGY_DESCRIPTIONS[strategy],
    'No run of this strategy is recorded yet. To measure one:',
    ['```sh', demoCommand(strategy), '```'].join('\n'),
  ].join('\n\n');
}

/** The run's header: what it was, its verdict, how it was carried out, what it ran on with which options. */
function runHeader(run: RunRecord, row: ReturnType<typeof rowOf>): string[] {
  const { verdict, reason } = judged(run);
  const env = run.environment;
  const options = Object.keys(run.options)
    .sort()
    .map((key) => inlineCode(`${key}=${String(run.options[key])}`));
  return [
    `### ${row.title}`,
    row.description,
    `Latest run ${inlineCode(run.id)}, started ${markdownText(run.startedAt)}, from ${markdownText(run.versions.from)} to ${markdownText(run.versions.to)}, took ${formatDuration(run.durationMs)}. ` +
      `Verdict: **${verdict}**${reason ? `, ${markdownText(reason)}` : ''}.`,
    ...(run.method ? [`Carried out as **${markdownText(run.method.label)}**: ${markdownText(run.method.why)}.`] : []),
    `Measured on Kubernetes ${markdownText(env.kubernetes)} with Helm ${markdownText(env.helm)}, kubectl ${markdownText(env.kubectl)}, k8s-lab ${markdownText(env.k8sLab)} and Node.js ${markdownText(env.node)}` +
      `${options.length ? `; options ${options.join(', ')}` : ''}.`,
  ];
}

function phasesTable(run: RunRecord): string[] {
  if (!run.phases.length) return [];
  return [
    'Phases, in seconds since the start:',
    markdownTable(
      ['Phase', 'Start', 'End', 'Duration', 'Detail'],
      run.phases.map((p) => [
        markdownText(p.name),
        formatOffset(p.start),
        formatOffset(p.end),
        formatDuration(p.end - p.start),
        p.detail ? markdownText(p.detail) : '',
      ]),
      'lrrrl',
    ),
  ];
}

/** What the probe saw: requests, latency, answers by version and pod, pods down, outage windows. */
function probeParts(run: RunRecord): string[] {
  const probe = run.probe;
  const answeredBy = (counts: Record<string, number>, sort: boolean) => {
    const keys = Object.keys(counts);
    return (sort ? keys.sort(compareByOrdinal) : keys).map((key) => `${markdownText(key)} ${counts[key]}`).join(', ');
  };
  const byVersion = answeredBy(probe.perVersion, false);
  const byPod = answeredBy(probe.perPod, true);
  const parts = [
    `The probe sent ${plural(probe.requests, 'request')} through the Service, one every ${formatDuration(probe.intervalMs)}: ${probe.ok} answered, ${probe.failures} failed (${formatPercent(probe.successRatio)} success); ` +
      `latency p50 ${formatDuration(probe.latencyMs.p50)}, p99 ${formatDuration(probe.latencyMs.p99)}, max ${formatDuration(probe.latencyMs.max)}.` +
      `${byVersion ? ` Answers by version: ${byVersion}.` : ''}${byPod ? ` Answers by pod: ${byPod}.` : ''} At most ${plural(run.maxPodsDown, 'pod')} ${run.maxPodsDown === 1 ? 'was' : 'were'} out of service at once.`,
  ];
  if (run.probeVia === 'api-server-proxy') parts.push(API_SERVER_NOTE);
  const away = controlPlaneNote(run.controlPlane, probe.outages);
  if (away) parts.push(away);
  if (!probe.outages.length) return [...parts, probe.failures ? 'Outage windows: none recorded.' : 'Outage windows: none, no probe request failed.'];
  return [
    ...parts,
    `Outage windows, from the first failed request to the next answered one (longest ${formatDuration(probe.longestOutageMs)}):`,
    markdownTable(
      ['#', 'Start', 'End', 'Duration', 'Failed requests'],
      probe.outages.map((o, i) => [String(i + 1), formatOffset(o.start), formatOffset(o.end), formatDuration(o.durationMs), String(o.failures)]),
      'rrrrr',
    ),
  ];
}

/** The data checks: every pod's counter before and after, its PVC (re-created or not), what it acknowledged. */
function dataCheckParts(run: RunRecord): string[] {
  const snapshot = (pod: string) => run.counters.after.find((c) => c.pod === pod) ?? run.counters.before.find((c) => c.pod === pod);
  const pvcCell = (pod: string) => {
    const before = run.counters.before.find((c) => c.pod === pod);
    const after = run.counters.after.find((c) => c.pod === pod);
    const pvc = snapshot(pod)?.pvc;
    if (!pvc) return '';
    const renewed = before?.pvcUid && after?.pvcUid && before.pvcUid !== after.pvcUid;
    return `${inlineCode(pvc)}${renewed ? ' (re-created: new UID)' : ''}`;
  };
  return [
    'Data checks, counters before → after:',
    markdownTable(
      ['Pod', 'PVC', 'Before', 'After', 'Acknowledged requests', 'Preserved', 'Note'],
      [...run.dataChecks]
        .sort((a, b) => compareByOrdinal(a.pod, b.pod))
        .map((check) => [
          inlineCode(check.pod),
          pvcCell(check.pod),
          formatCounter(check.before),
          formatCounter(check.after),
          String(check.acknowledged),
          check.preserved ? '✓' : '✗',
          check.reason ? markdownText(check.reason) : '',
        ]),
      'llrrrcl',
    ),
  ];
}

function runSection(run: RunRecord, older: RunRecord[], svgPath: string): string {
  const row = rowOf(run);
  const parts: string[] = [...runHeader(run, row), ...phasesTable(run), ...probeParts(run)];
  if (run.notes.length) parts.push('Notes from the run:', markdownList(run.notes.map(markdownText)));
  parts.push(
    ...dataCheckParts(run),
    'Timeline: the phases and outage windows (Mermaid), then every pod and probe request (SVG).',
    ['```mermaid', renderMermaidGantt(run), '```'].join('\n'),
    `![Timeline of run ${markdownText(run.id)}: pods Ready, not Ready or absent, probe requests and phases](${svgPath})`,
  );
  if (older.length) {
    const list = older.map((o) => `${inlineCode(o.id)} (${judged(o).verdict}, ${markdownText(o.versions.from)} → ${markdownText(o.versions.to)})`);
    parts.push(`Older ${older.length === 1 ? 'run' : 'runs'} of this ${row.key === row.strategy ? 'strategy' : 'kind'}, not shown: ${list.join(', ')}.`);
  }
  return parts.join('\n\n');
}
