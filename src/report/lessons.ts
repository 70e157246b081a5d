// The report's measurements of the two lessons (demo-scale, demo-failover) under the write-up's
// sections: ordering, parallel operations, values in volumes. Pure: records in, Markdown and SVG out.

import { explainFailoverRecord, FAILOVER_MODES, type FailoverRecord, type PodManagementPolicy, type ScaleRecord, type ScaleRun } from '../demos/lessons.js';
import type { DrainRecord } from '../demos/drain-analysis.js';
import type { IdentityRecord } from '../demos/identity-analysis.js';
import type { NodeLossRecord } from '../demos/node-loss-record.js';
import { controlPlaneNote } from './control-plane.js';
import { escapeXml, formatDuration, inlineCode, markdownList, markdownTable, markdownText } from './format.js';
import { svgOpening, tickSeconds, timeX, type LaneLayout } from './lane-svg.js';

export type LessonRecord = FailoverRecord | ScaleRecord | IdentityRecord | DrainRecord | NodeLossRecord;

/** One policy's scale measurement and the record it came from. */
export interface ScaleMeasurement {
  record: ScaleRecord;
  run: ScaleRun;
}

const POLICY_ORDER: readonly PodManagementPolicy[] = ['Parallel', 'OrderedReady'];

/**
 * The lessons to show from the records of one cluster, release and namespace: the latest measurement
 * of each scale policy (a later `demo-scale --policy parallel` keeps the earlier OrderedReady one),
 * Parallel first, and the latest failover of each mode.
 */
export function lessonsOf(records: LessonRecord[]): { scale: ScaleMeasurement[]; failovers: FailoverRecord[] } {
  const own = [...records].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const scale = POLICY_ORDER.flatMap((policy) => {
    for (const record of own) {
      const run = record.lesson === 'scale' ? record.runs.find((r) => r.policy === policy) : undefined;
      if (run && record.lesson === 'scale') return [{ record, run }];
    }
    return [];
  });
  // The latest of each mode.
  const failovers = FAILOVER_MODES.flatMap((mode) => own.filter((r): r is FailoverRecord => r.lesson === 'failover' && r.mode === mode).slice(0, 1));
  return { scale, failovers };
}

/** Said under the figures a probe measured through the API server instead of a NodePort. */
export const API_SERVER_NOTE =
  "Measured through the API server's service proxy: no NodePort or node address answered from this machine, so every request went through the API server (one `kubectl proxy`). Latencies and outages include that hop and are not what a client of the NodePort would see.";

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : formatDuration(ms));

const SCALE_LAYOUT: LaneLayout = { width: 880, left: 170, plot: 680, laneHeight: 24, top: 40 };

/** The picture of one policy's scale-up and scale-down: a lane per added pod, created → Ready → terminating → gone. */
export function renderScaleSvg(run: ScaleRun): string {
  const { width, left, plot, laneHeight, top } = SCALE_LAYOUT;
  const downStart = run.down.requestedAt - run.up.requestedAt;
  const ends = run.down.order.map((o) => downStart + (o.deletedMs ?? o.deletingMs ?? 0));
  const end = Math.max(1000, downStart, ...ends, ...run.up.pods.map((p) => p.readyMs ?? 0)) * 1.05;
  const x = timeX(SCALE_LAYOUT, end);
  const height = top + run.up.pods.length * laneHeight + 60;
  const title = `${run.policy}: ${run.from} → ${run.to} → ${run.from} pods (${run.release}), all Ready ${s(run.up.allReadyMs)} after the request, ${run.up.shape}`;
  const out = svgOpening(width, height, title);
  const bottom = top + run.up.pods.length * laneHeight;
  for (const [t, label] of [
    [0, 'scale up requested'],
    [downStart, 'scale down requested'],
  ] as const) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${bottom}" stroke="#8c959f" stroke-dasharray="2 2"/>`);
    out.push(`<text x="${(x(t) + 3).toFixed(1)}" y="${top - 8}" fill="#57606a">${label}</text>`);
  }
  run.up.pods.forEach((pod, i) => {
    const y = top + i * laneHeight;
    const mid = y + laneHeight / 2;
    out.push(`<text x="${left - 8}" y="${mid + 4}" text-anchor="end" fill="#1f2328">${escapeXml(pod.pod)}</text>`);
    out.push(`<line x1="${left}" y1="${mid}" x2="${left + plot}" y2="${mid}" stroke="#d0d7de"/>`);
    const down = run.down.order.find((o) => o.pod === pod.pod);
    const bar = (from: number, to: number, fill: string, tip: string) =>
      out.push(
        `<rect x="${x(from).toFixed(1)}" y="${y + 5}" width="${Math.max(0.5, x(to) - x(from)).toFixed(1)}" height="14" fill="${fill}"><title>${escapeXml(tip)}</title></rect>`,
      );
    if (pod.createdMs !== null) bar(pod.createdMs, pod.readyMs ?? end, '#d4a72c', `${pod.pod}: created ${s(pod.createdMs)}, starting`);
    const goingAt = down?.deletingMs === null || down?.deletingMs === undefined ? end : downStart + down.deletingMs;
    if (pod.readyMs !== null) bar(pod.readyMs, goingAt, '#2da44e', `${pod.pod}: Ready ${s(pod.readyMs)}`);
    if (down?.deletingMs !== null && down?.deletingMs !== undefined)
      bar(
        goingAt,
        down.deletedMs === null ? end : downStart + down.deletedMs,
        '#8c959f',
        `${pod.pod}: terminating ${s(downStart + down.deletingMs)}, gone ${s(down.deletedMs === null ? null : downStart + down.deletedMs)}`,
      );
  });
  const step = tickSeconds(end);
  out.push(`<line x1="${left}" y1="${bottom + 4}" x2="${left + plot}" y2="${bottom + 4}" stroke="#8c959f"/>`);
  for (let i = 0; i * step * 1000 <= end; i++) {
    out.push(`<text x="${x(i * step * 1000).toFixed(1)}" y="${bottom + 18}" text-anchor="middle" fill="#57606a">${i * step}</text>`);
  }
  out.push(`<text x="${left + plot}" y="${bottom + 32}" text-anchor="end" fill="#57606a">seconds since the scale-up request</text>`);
  let lx = 10;
  for (const [label, fill] of [
    ['starting (created, not Ready)', '#d4a72c'],
    ['Ready', '#2da44e'],
    ['terminating', '#8c959f'],
  ] as const) {
    out.push(
      `<rect x="${lx}" y="${bottom + 40}" width="12" height="10" fill="${fill}"/><text x="${lx + 17}" y="${bottom + 49}" fill="#1f2328">${label}</text>`,
    );
    lx += 17 + label.length * 6.2 + 18;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** File names of the scale pictures, one per policy. */
export function scaleSvgPath(dir: string, record: ScaleRecord, run: ScaleRun): string {
  return `${dir}${record.id}-${run.policy === 'Parallel' ? 'parallel' : 'ordered'}.svg`;
}

/** The table of OrderedReady against Parallel. */
function scaleTable(scale: ScaleMeasurement[]): string {
  return markdownTable(
    [
      'Policy',
      'Release',
      'Scale',
      'All Ready after the request',
      'Pods started',
      'Ready order',
      'Scale-down order',
      'Scale-down done',
      'Failed requests (up / down)',
    ],
    scale.map(({ run: r }) => [
      r.policy,
      inlineCode(r.release) + (r.temporary ? ' (temporary)' : ''),
      `${r.from} → ${r.to} → ${r.from}`,
      s(r.up.allReadyMs),
      r.up.shape === 'staircase' ? 'one after another (staircase)' : r.up.shape === 'block' ? 'together (block)' : r.up.shape,
      r.up.readyOrder.join(', '),
      r.down.order.map((o) => o.pod).join(', '),
      s(r.down.doneMs),
      `${r.failedUp} / ${r.failedDown}`,
    ]),
  );
}

/** What the failed requests of the two policies say about ordering: only what they show. */
function orderingVerdict(ordered: number, parallel: number): string {
  if (ordered + parallel === 0) return 'Neither lost a request, so the ordering bought nothing for these pods and cost the difference.';
  return `OrderedReady lost ${ordered} requests and Parallel ${parallel}: see the table below for when.`;
}

/** Under "Lack of need for ordering guarantees": what ordering costs, measured. */
export function orderingMeasured(scale: ScaleMeasurement[]): string {
  if (!scale.length) return `How long ordering makes scaling take is measured by ${inlineCode('npx k8s-lab demo-scale')}; no run is recorded yet.`;
  const parallel = scale.find((m) => m.run.policy === 'Parallel')?.run;
  const ordered = scale.find((m) => m.run.policy === 'OrderedReady')?.run;
  const when = [...new Set(scale.map(({ record }) => `${markdownText(record.startedAt)}, Kubernetes ${markdownText(record.environment.kubernetes)}`))];
  const lines = [`Measured by ${inlineCode('k8s-lab demo-scale')} (${when.join('; ')}):`];
  if (parallel && ordered) {
    lines.push(
      `scaling from ${parallel.from} to ${parallel.to} pods took ${s(ordered.up.allReadyMs)} until every pod was Ready with OrderedReady and ${s(parallel.up.allReadyMs)} with Parallel; scaling back down took ${s(ordered.down.doneMs)} against ${s(parallel.down.doneMs)}. ` +
        orderingVerdict(ordered.failedUp + ordered.failedDown, parallel.failedUp + parallel.failedDown),
    );
  } else {
    const only = scale[0]!.run;
    lines.push(
      `${only.policy} scaled from ${only.from} to ${only.to} pods in ${s(only.up.allReadyMs)} and back down in ${s(only.down.doneMs)}, with ${only.failedUp + only.failedDown} failed requests.`,
    );
  }
  return lines.join(' ');
}

/** Where a run's measured shape is not the one its policy documents, the report says so. */
function shapesAgainstPolicy(runs: ScaleRun[]): string {
  const expected = { OrderedReady: 'staircase', Parallel: 'block' } as const;
  const off = runs.filter((r) => r.up.shape !== 'single' && r.up.shape !== expected[r.policy]);
  if (!off.length) return '';
  return ` This run measured otherwise: ${off.map((r) => `${r.policy} scaled up as a ${r.up.shape}`).join('; ')}.`;
}

/** Under "Parallel operations approach": the table and a picture per policy. */
export function parallelMeasured(scale: ScaleMeasurement[], svgPaths: string[]): string {
  if (!scale.length)
    return `The difference is measured by ${inlineCode('npx k8s-lab demo-scale')} (Parallel on the release, OrderedReady on a temporary copy of it); no run is recorded yet.`;
  const temporary = scale.filter(({ run }) => run.temporary).map(({ run }) => inlineCode(run.release));
  const intervals = [...new Set(scale.map(({ record }) => record.options.intervalMs))].join(' and ');
  const apart = new Set(scale.map(({ record }) => record.id)).size > 1 ? ' Each policy shows its latest run; they were measured apart.' : '';
  return [
    `Measured by ${inlineCode('k8s-lab demo-scale')}: the probe sent a request through the Service every ${intervals} ms while the StatefulSet was scaled up and back down.${temporary.length ? ` The policy cannot be changed on a live StatefulSet, so ${temporary.join(' and ')} was a temporary second release of the chart, uninstalled afterwards with its PVCs.` : ''}${apart}`,
    '',
    scaleTable(scale),
    '',
    // statefulset/#deployment-and-scaling-guarantees and #parallel-pod-management; the shapes are this run's.
    'With OrderedReady each pod is created only once the one before it is Ready (a staircase), and on scale-down each goes only once the one above it is gone; with Parallel the pods are created and removed together (a block).' +
      shapesAgainstPolicy(scale.map(({ run }) => run)),
    ...(scale.some(({ run }) => run.probeVia) ? ['', API_SERVER_NOTE] : []),
    '',
    ...scale.map(({ run }, i) => `![${run.policy}: pods over time](${svgPaths[i] ?? ''})`),
  ].join('\n');
}

const FAILURE_NAMES: Record<FailoverRecord['mode'], string> = {
  delete: 'pod deleted (re-created)',
  kill: 'app SIGKILLed (restarted in the pod)',
  hang: 'app stopped, SIGSTOP (resumed with SIGCONT)',
};
const FAILURE_EVENTS: Record<FailoverRecord['mode'], string> = { delete: 'the delete', kill: 'the SIGKILL', hang: 'the SIGSTOP' };

/** One row per failure mode: the data kept, and the outage's figures. */
function failoverTable(failovers: FailoverRecord[]): string {
  return markdownTable(
    [
      'Failure',
      'Pod',
      'Same PVC (UID)',
      'Counter before → after',
      'Acknowledged meanwhile',
      'Not Ready after',
      'Failed requests (sent from → to)',
      'Ready again after',
      'Restarts',
      'Verdict',
    ],
    failovers.map((f) => {
      const check = f.dataChecks.find((c) => c.pod === f.pod);
      const same = f.identity.after?.pvcUid === f.identity.before.pvcUid;
      const figures = explainFailoverRecord(f)?.figures;
      const failed = figures?.failed ?? { ...f.failedRequests, timedOut: 0 };
      return [
        FAILURE_NAMES[f.mode],
        inlineCode(f.pod),
        same ? `yes (${inlineCode((f.identity.before.pvcUid ?? '').slice(0, 8))}…)` : 'no',
        `${check?.before ?? '?'} → ${check?.after ?? '?'}`,
        String(check?.acknowledged ?? '?'),
        s(figures?.notReadyMs),
        failed.count ? `${failed.count}${failed.timedOut ? ` (${failed.timedOut} timed out)` : ''}, ${s(failed.firstMs)} → ${s(failed.lastMs)}` : '0',
        s(figures?.readyAgainMs ?? f.readyAgainMs),
        `${f.identity.before.restarts} → ${f.identity.after?.restarts ?? '?'}`,
        f.verdict,
      ];
    }),
  );
}

/** What one mode's figures show and what would shorten its outage, recomputed from the record. */
function failoverExplained(f: FailoverRecord): string {
  const explained = explainFailoverRecord(f);
  const title = `After ${FAILURE_EVENTS[f.mode]} (${inlineCode(f.id)}):`;
  if (!explained) return `${title} nothing was failed, so nothing was measured.`;
  const old = f.failure ? '' : ' This record is from an older k8s-lab, which kept only when the command started: times count from then.';
  return [
    `${title}${old}`,
    '',
    markdownList(explained.explanation.lines.map(markdownText)),
    '',
    `What would shorten it: ${markdownText(explained.explanation.advice.replace(/\.$/, ''))}.`,
  ].join('\n');
}

/**
 * What the scale-down did to the volumes: as measured when every check passed; else what the policy
 * documents (statefulset/#persistentvolumeclaim-retention) and that this run did not show it.
 */
function storageSentence(fresh: boolean, allOk: boolean): string {
  const how = fresh
    ? 'Scale-down with `persistentVolumeClaimRetentionPolicy.whenScaled: Delete` (`k8s-lab demo-scale --pvc-retention delete`)'
    : 'Scale-down (`k8s-lab demo-scale`, PVCs retained, the default)';
  const what = fresh
    ? "the StatefulSet deleted the removed pods' PVCs, and on the next scale-up each returning pod started from 0 on a new claim"
    : "the removed pods' PVCs stayed, and on the next scale-up each returning pod served its old counter again";
  const documented = fresh
    ? "the StatefulSet should delete the removed pods' PVCs, and each returning pod start from 0 on a new claim"
    : "the removed pods' PVCs should stay, and each returning pod serve its old counter again";
  return allOk ? `${how}: ${what}.` : `${how}: ${documented}, but not every check of this run passed (see the table).`;
}

/** Under "Values in volumes": the evidence the values survived failure and scale-down. */
export function volumeLessons(scale: ScaleMeasurement[], failovers: FailoverRecord[]): string {
  const parts: string[] = [];
  if (failovers.length) {
    parts.push(
      'A pod failing under traffic (`k8s-lab demo-failover`): the counter is read before and after, and must hold every increment the probe saw that pod acknowledge. ' +
        'Times count from the failure: the delete, the SIGKILL, or the SIGSTOP that froze the app without killing it (a hang).',
      '',
      failoverTable(failovers),
    );
    if (failovers.some((f) => f.probeVia)) parts.push('', API_SERVER_NOTE);
    for (const f of failovers) {
      parts.push('', failoverExplained(f));
      const away = controlPlaneNote(f.controlPlane, f.probe.outages);
      if (away) parts.push('', away);
    }
  } else {
    parts.push(`Whether a value survives a pod failing is measured by ${inlineCode('npx k8s-lab demo-failover')}; no run is recorded yet.`);
  }
  if (scale.length) {
    const checks = scale.flatMap(({ run: r }) => r.storage.map((c) => ({ ...c, policy: r.policy })));
    const fresh = checks.some((c) => c.expected === 'fresh');
    parts.push(
      '',
      storageSentence(
        fresh,
        checks.every((c) => c.ok),
      ),
      '',
      markdownTable(
        ['Policy', 'Pod', 'Counter before scale-down', 'Acknowledged after', 'PVC after scale-down', 'Returning pod serves', 'Same PVC', 'Check'],
        checks.map((c) => [
          c.policy,
          inlineCode(c.pod),
          String(c.before.counter ?? '?'),
          String(c.acknowledgedAfterRead),
          c.pvcUidAfterScaleDown ? 'kept' : 'deleted',
          String(c.returned.counter ?? '?'),
          c.returned.pvcUid === c.before.pvcUid ? 'yes' : 'no (new)',
          c.ok ? 'ok' : `failed: ${markdownText(c.reason ?? '')}`,
        ]),
      ),
    );
  } else {
    parts.push('', `Whether a value survives a scale-down is measured by ${inlineCode('npx k8s-lab demo-scale')}; no run is recorded yet.`);
  }
  return parts.join('\n');
}
