import { whyNodeLessonCannotRun } from '../demos/node-lessons.js';
import { DEFAULTS } from '../defaults.js';
import { runIdentity } from '../demos/identity.js';
import type { IdentityRecord } from '../demos/identity-analysis.js';
import type { Lab } from '../lab-context.js';
import { runLessonCommand, runTimings, seconds, verdictLines } from './demo-command.js';
import { renderTable } from '../ui/table.js';

export interface IdentityCommandOptions {
  pod?: number;
  interval: number;
  timeout: number;
  settle: number;
  pendingFor: number;
  url?: string;
  recordDir: string;
}

/** The human summary of an identity record: before and after side by side, the figures, the verdict. */
export function renderIdentitySummary(record: IdentityRecord, path: string): string {
  const { before, after, figures } = record;
  const row = (label: string, b: string | null | undefined, a: string | null | undefined, same = b === a) => [
    label,
    b ?? '—',
    a ?? '—',
    after ? (same ? 'kept' : 'changed') : '—',
  ];
  const grew = before.counter !== null && after?.counter != null && after.counter >= before.counter;
  const resolved = (r: string[] | null | undefined) => (r ? r.join(', ') || '(nothing)' : null);
  return [
    renderTable(
      ['', 'BEFORE', 'AFTER', ''],
      [
        row('pod', before.pod, after?.pod),
        row('hostname', before.hostname, after?.hostname),
        row('DNS name', before.dnsName, after?.dnsName),
        row(`resolves to (from ${record.resolver})`, resolved(before.resolved), resolved(after?.resolved)),
        row('pod IP', before.ip, after?.ip),
        row('node', before.node, after?.node),
        row('pod UID', before.uid, after?.uid),
        row('PVC', before.pvc, after?.pvc),
        row('PVC UID', before.pvcUid, after?.pvcUid),
        row('counter', before.counter === null ? null : String(before.counter), after?.counter == null ? null : String(after.counter), grew),
      ],
    ),
    '',
    `volume: ${record.volume.why}; ${record.volume.canMove ? `the pod can go to ${record.volume.elsewhere.join(', ')}` : 'the pod cannot leave its node'}`,
    ...record.scheduling.slice(0, 1).map((s) => `while ${record.node.name} was cordoned the scheduler said: ${s.message}`),
    `Pending ${seconds(figures?.pendingMs)}, Ready again ${seconds(figures?.readyAgainMs)} after the delete; DNS name on the new IP ${seconds(figures?.dnsMovedMs)} after the delete (${seconds(figures?.dnsAfterReadyMs)} after Ready), resolving to nothing for ${seconds(figures?.dnsGapMs)}; to the deleted pod's IP for ${figures?.dnsStaleMs === null ? 'the rest of the run' : seconds(figures?.dnsStaleMs)} after it was gone (cached answers)`,
    `probe: ${record.probe.requests} requests every ${record.probe.intervalMs} ms through the Service, ${record.probe.failures} failed${figures?.failed.count ? ` (${figures.failed.count} after the delete, over ${seconds(figures.failed.spanMs)})` : ''}`,
    ...record.notes.slice(2),
    ...verdictLines(`identity of ${record.pod}`, record, path),
  ].join('\n');
}

export async function demoIdentity(lab: Lab, options: IdentityCommandOptions): Promise<IdentityRecord> {
  return runLessonCommand(lab, 'identity', {
    doing: `identity in ${lab.release}`,
    run: runIdentity,
    options: { pod: options.pod, pendingForMs: options.pendingFor, ...runTimings(options) },
    summary: renderIdentitySummary,
  });
}

/** The lab's identity step: demo-identity where two or more nodes can take a pod, else one line saying why it is skipped. */
export async function labIdentity(lab: Lab, options: { url?: string; recordDir: string }): Promise<IdentityRecord | undefined> {
  const usable = await whyNodeLessonCannotRun(lab, 'moving a pod off its node needs another one');
  if ('why' in usable) {
    lab.log.info(`demo-identity skipped: ${usable.why}`);
    return undefined;
  }
  return demoIdentity(lab, { ...DEFAULTS.demoIdentity, url: options.url, recordDir: options.recordDir });
}
