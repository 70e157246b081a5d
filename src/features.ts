import { firstLine } from './adapters/failure.js';
import type { Kubectl } from './adapters/kubectl.js';
import type { StatefulSet } from './adapters/kube-objects.js';

/**
 * What the API server offers of the StatefulSet features k8s-lab can use. Fields GA in a release
 * are told by the server's version; gated ones by a server-side dry-run (`--dry-run=server`), which
 * the API server validates and defaults like a real write and then discards: nothing changes.
 */

/** How the recreate demo runs, as the run record and the report name it. */
export const RECREATE_METHODS = {
  native: 'native Recreate (StatefulSetRecreateStrategy)',
  emulated: 'emulated: OnDelete + delete',
} as const;
export type RecreateMethod = keyof typeof RECREATE_METHODS;

/** `yes` / `no` as the server answered; `unknown` when the check itself failed (why says how). */
export type Offer = { state: 'yes'; why: string } | { state: 'no'; why: string } | { state: 'unknown'; why: string };

export interface ServerVersion {
  major: number;
  minor: number;
}

/** `v1.37.2`, `v1.34.1+k3s1`, `v1.35.0-rc.1` → 1.37 / 1.34 / 1.35; undefined when unreadable. */
export function parseServerVersion(version: string | undefined): ServerVersion | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function atLeast(version: ServerVersion | undefined, major: number, minor: number): boolean {
  return version !== undefined && (version.major > major || (version.major === major && version.minor >= minor));
}

/** The Kubernetes release k8s-lab is built and tested for from now on; older servers get a warning. */
export const SUPPORTED_FROM = { major: 1, minor: 35 } as const;

/** What to dry-run against: an existing StatefulSet (patched), or a throw-away one (created). */
export type DryRunSubject = { kind: 'patch'; name: string } | { kind: 'create'; name: string };

/** The merge patch that asks for the Recreate strategy (rollingUpdate must go with it). */
export const RECREATE_PATCH = { spec: { updateStrategy: { type: 'Recreate', rollingUpdate: null } } };

/** The merge patch that asks for a RollingUpdate with `maxUnavailable` (partition kept as it is). */
export function maxUnavailablePatch(value: number | string) {
  return { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: value } } } };
}

/** A minimal StatefulSet with the given update strategy, for a dry-run create (never stored, its image never pulled). */
export function probeStatefulSet(name: string, updateStrategy: unknown): object {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels },
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: labels },
      updateStrategy,
      template: { metadata: { labels }, spec: { containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.10' }] } },
    },
  };
}

/** The StatefulSet as the API server would store it, or its rejection (stderr). */
async function dryRun(
  kubectl: Kubectl,
  subject: DryRunSubject,
  patch: { spec: { updateStrategy: unknown } },
): Promise<{ object?: StatefulSet; stderr: string }> {
  const result =
    subject.kind === 'patch'
      ? await kubectl.serverDryRunPatch('statefulset', subject.name, patch)
      : await kubectl.serverDryRunCreate(probeStatefulSet(subject.name, patch.spec.updateStrategy));
  if (result.exitCode !== 0) return { stderr: result.stderr || (result.timedOut ? 'kubectl did not answer' : `exit code ${result.exitCode}`) };
  try {
    return { object: JSON.parse(result.stdout) as StatefulSet, stderr: '' };
  } catch {
    return { stderr: 'kubectl printed no JSON' };
  }
}

const RECREATE_OFF = 'the API server rejects updateStrategy Recreate (feature gate StatefulSetRecreateStrategy off, or Kubernetes before 1.37)';

/**
 * How the API server refuses `Recreate`. The 1.37 source (pkg/apis/apps/validation) words it
 * `spec.updateStrategy: Invalid value: {…"Recreate"…}: must be 'RollingUpdate' or 'OnDelete'` (so
 * do older servers); an enum check would say `Unsupported value: "Recreate"`. Either means no.
 */
export const RECREATE_REJECTED = /Unsupported value: "Recreate"|updateStrategy: Invalid value: .*Recreate.*: must be 'RollingUpdate' or 'OnDelete'/;

/** Whether the API server accepts `updateStrategy.type: Recreate` (alpha in 1.37, gate StatefulSetRecreateStrategy). */
export async function offersRecreate(kubectl: Kubectl, subject: DryRunSubject): Promise<Offer> {
  const { object, stderr } = await dryRun(kubectl, subject, RECREATE_PATCH);
  if (object) {
    const type = object.spec?.updateStrategy?.type;
    return type === 'Recreate'
      ? { state: 'yes', why: 'the API server accepts updateStrategy Recreate (server-side dry-run)' }
      : { state: 'no', why: `the API server turned updateStrategy Recreate into ${type ?? 'nothing'} (server-side dry-run)` };
  }
  if (RECREATE_REJECTED.test(stderr)) return { state: 'no', why: RECREATE_OFF };
  return { state: 'unknown', why: `could not check (${firstLine(stderr)})` };
}

const DROPS_MAX_UNAVAILABLE = 'the API server ignores rollingUpdate.maxUnavailable (feature gate MaxUnavailableStatefulSet off): it drops the field';

/**
 * Whether the API server keeps `rollingUpdate.maxUnavailable`: where feature MaxUnavailableStatefulSet
 * is off (before 1.37 by default) it accepts the patch and silently drops the field, so the field is
 * read back from the dry-run's answer. Where it is on, the server also defaults the field to 1, so
 * doctor asks with 2: only a kept value can come back as 2.
 */
export async function offersMaxUnavailable(kubectl: Kubectl, subject: DryRunSubject, value: number | string = 2): Promise<Offer> {
  const { object, stderr } = await dryRun(kubectl, subject, maxUnavailablePatch(value));
  if (object) {
    const kept = object.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
    if (kept === undefined || kept === null) return { state: 'no', why: DROPS_MAX_UNAVAILABLE };
    return String(kept) === String(value)
      ? { state: 'yes', why: `the API server keeps rollingUpdate.maxUnavailable (server-side dry-run: ${kept})` }
      : { state: 'no', why: `the API server changed rollingUpdate.maxUnavailable ${value} into ${kept}` };
  }
  return { state: 'unknown', why: `could not check (${firstLine(stderr)})` };
}
