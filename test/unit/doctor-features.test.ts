// doctor lists what the cluster offers of native Recreate, maxUnavailable, the sleep preStop action
// and the PVC retention policy: by server version, and for the gated two by a server-side dry-run.
import { describe, expect, it } from 'vitest';
import { doctor } from '../../src/commands/doctor.js';
import { createLab } from '../../src/lab-context.js';
import { runPreflight, type Check } from '../../src/preflight.js';
import { createLogger } from '../../src/ui/logger.js';
import { FakeRunner, type Scripted } from '../support/fake-runner.js';
import { fixture } from '../support/fixtures.js';

const server = (gitVersion: string): Scripted => ({
  match: /^version --output json/,
  stdout: JSON.stringify({ clientVersion: { gitVersion: 'v1.35.2' }, serverVersion: { gitVersion } }),
});
const BASE: Scripted[] = [
  { match: /^version --short$/, stdout: 'v4.1.4+g05fa379\n' },
  { match: /^version --client/, stdout: fixture('kubectl135-version.json') },
  { match: /get storageclasses/, stdout: fixture('kubectl-storageclasses.json') },
  { match: /get nodes/, stdout: fixture('kubectl-nodes.json') },
  { match: /status helm-python/, exitCode: 1, stderr: 'Error: release: not found\n' },
];
const NO_STS: Scripted = {
  match: /get statefulset helm-python/,
  exitCode: 1,
  stderr: 'Error from server (NotFound): statefulsets.apps "helm-python" not found\n',
};
const STS: Scripted = { match: /get statefulset helm-python/, stdout: JSON.stringify({ metadata: { name: 'helm-python' }, spec: {} }) };
const sts = (updateStrategy: object) => ({ stdout: JSON.stringify({ kind: 'StatefulSet', metadata: { name: 'x' }, spec: { updateStrategy } }) });
const UNSUPPORTED = {
  exitCode: 1,
  stderr: 'The StatefulSet "x" is invalid: spec.updateStrategy: Invalid value: {"type":"Recreate"}: must be \'RollingUpdate\' or \'OnDelete\'\n',
};

function labWith(script: Scripted[]) {
  const out: string[] = [];
  const sink = { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream;
  const runner = new FakeRunner(script);
  const lab = createLab(
    { release: 'helm-python', namespace: 'lab' },
    { runner, env: { K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl' }, log: createLogger({ stdout: sink, stderr: sink }) },
  );
  return { lab, runner, out };
}
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('doctor: what the cluster offers', () => {
  it('1.37 with StatefulSetRecreateStrategy, no release yet: everything offered, checked with dry-run creates', async () => {
    const { lab, runner, out } = labWith([
      server('v1.37.2'),
      NO_STS,
      // The two dry-runs send different objects on stdin: each answered by what it asked for.
      // Asked with 2: a server with the feature on defaults the field to 1, so only 2 shows it was kept.
      {
        match: /create --filename - --dry-run=server/,
        input: /"maxUnavailable":2/,
        ...sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } }),
      },
      { match: /create --filename - --dry-run=server/, input: /"type":"Recreate"/, ...sts({ type: 'Recreate' }) },
      ...BASE,
    ]);
    const { checks, features } = await runPreflight(lab);
    const c = byName(checks);
    expect(c['server version']).toMatchObject({ state: 'ok' });
    expect(c['native Recreate']).toMatchObject({
      state: 'ok',
      detail: expect.stringMatching(/^offered: .*StatefulSetRecreateStrategy.*\(a server-side dry-run create of a StatefulSet\)$/),
    });
    expect(c.maxUnavailable).toMatchObject({ state: 'ok' });
    expect(c['sleep preStop']).toMatchObject({ state: 'ok' });
    expect(c['PVC retention']).toMatchObject({ state: 'ok' });
    expect(features).toEqual({ nativeRecreate: true, maxUnavailable: true, sleepPreStop: true, pvcRetentionPolicy: true });
    // Only dry-runs: nothing that would store an object.
    const writes = runner.lines().filter((l) => /\b(create|patch|apply|delete|upgrade|install)\b/.test(l));
    expect(writes.length).toBe(2);
    for (const line of writes) expect(line).toContain('--dry-run=server');
    await doctor(lab, {});
    expect(out.join('')).toMatch(/^✔ native Recreate\s+offered:/m);
  });

  it('1.37 without the gates, release deployed: Recreate rejected, maxUnavailable dropped (dry-run patches); sleep and retention by version', async () => {
    const { lab, runner } = labWith([
      server('v1.37.2'),
      STS,
      { match: /patch statefulset helm-python .*"maxUnavailable"/, ...sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } }) },
      { match: /patch statefulset helm-python .*"Recreate"/, ...UNSUPPORTED },
      ...BASE,
    ]);
    const { checks, features } = await runPreflight(lab);
    const c = byName(checks);
    expect(c['server version']).toMatchObject({ state: 'ok' });
    expect(c['native Recreate']).toMatchObject({
      state: 'skip',
      detail: expect.stringContaining('not offered: the API server rejects updateStrategy Recreate (feature gate StatefulSetRecreateStrategy off'),
    });
    expect(c.maxUnavailable).toMatchObject({ state: 'skip', detail: expect.stringContaining('MaxUnavailableStatefulSet off') });
    expect(features).toEqual({ nativeRecreate: false, maxUnavailable: false, sleepPreStop: true, pvcRetentionPolicy: true });
    expect(runner.lines().filter((l) => l.includes('--dry-run=server'))).toHaveLength(2);
  });

  it('1.36: no warning; Recreate not offered by version (no dry-run), maxUnavailable by dry-run', async () => {
    const { lab, runner } = labWith([
      server('v1.36.1'),
      STS,
      { match: /patch statefulset helm-python .*"maxUnavailable":2/, ...sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } }) },
      ...BASE,
    ]);
    const { checks, features } = await runPreflight(lab);
    const c = byName(checks);
    expect(c['server version']?.state).toBe('ok');
    expect(c['native Recreate']).toMatchObject({
      state: 'skip',
      detail: expect.stringMatching(/^not offered: .*needs Kubernetes 1\.37\+ with feature gate StatefulSetRecreateStrategy/),
    });
    expect(features).toEqual({ nativeRecreate: false, maxUnavailable: true, sleepPreStop: true, pvcRetentionPolicy: true });
    expect(runner.lines().filter((l) => l.includes('--dry-run=server'))).toHaveLength(1);
  });

  it('1.20: warns (not fails) below 1.35, offers none of the four, and asks the server nothing for them', async () => {
    const { lab, runner, out } = labWith([server('v1.20.2'), NO_STS, ...BASE]);
    const { checks, features } = await runPreflight(lab);
    const c = byName(checks);
    expect(c['server version']).toMatchObject({ state: 'warn', detail: 'Kubernetes v1.20.2 is older than 1.35, the oldest k8s-lab is built and tested for' });
    for (const name of ['native Recreate', 'maxUnavailable', 'sleep preStop', 'PVC retention']) expect(c[name]?.state, name).toBe('skip');
    expect(features).toEqual({ nativeRecreate: false, maxUnavailable: false, sleepPreStop: false, pvcRetentionPolicy: false });
    expect(runner.lines().filter((l) => l.includes('dry-run'))).toEqual([]);
    // A warning does not fail doctor.
    await expect(doctor(lab, {})).resolves.toBeUndefined();
    expect(out.join('')).toMatch(/^⚠ server version\s+Kubernetes v1.20.2 is older than 1.35/m);
  });

  it('1.34: warned; sleep preStop and PVC retention by version; maxUnavailable checked, Recreate not', async () => {
    const { lab, runner } = labWith([
      server('v1.34.3'),
      STS,
      { match: /patch statefulset helm-python .*"maxUnavailable"/, ...sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } }) },
      ...BASE,
    ]);
    const { checks, features } = await runPreflight(lab);
    expect(byName(checks)['server version']?.state).toBe('warn');
    expect(features).toEqual({ nativeRecreate: false, maxUnavailable: false, sleepPreStop: true, pvcRetentionPolicy: true });
    expect(runner.lines().filter((l) => l.includes('"Recreate"'))).toEqual([]);
  });

  it('a dry-run it may not make is a warning, not a failure, and the feature is unknown (null)', async () => {
    const forbidden = {
      exitCode: 1,
      stderr:
        'Error from server (Forbidden): statefulsets.apps "helm-python" is forbidden: User "u" cannot patch resource "statefulsets" in API group "apps" in the namespace "lab"\n',
    };
    const { lab } = labWith([server('v1.37.0'), STS, { match: /patch statefulset/, ...forbidden }, ...BASE]);
    const { checks, features } = await runPreflight(lab);
    expect(byName(checks)['native Recreate']).toMatchObject({
      state: 'warn',
      detail: expect.stringMatching(/^not checked: could not check \(Error from server \(Forbidden\)/),
    });
    expect(features?.nativeRecreate).toBeNull();
    expect(checks.filter((c) => c.state === 'fail')).toEqual([]);
  });

  it('the namespace does not exist yet: the gated checks are skipped with that reason', async () => {
    const missing = { exitCode: 1, stderr: 'Error from server (NotFound): namespaces "lab" not found\n' };
    const { lab } = labWith([server('v1.37.0'), NO_STS, { match: /create --filename -/, ...missing }, ...BASE]);
    const { checks } = await runPreflight(lab);
    expect(byName(checks)['native Recreate']).toMatchObject({ state: 'skip', detail: 'not checked: the namespace does not exist yet (deploy creates it)' });
  });
});

describe('doctor: a release from the chart before the headless Service', () => {
  it('warns that its StatefulSet must be migrated, naming the command, and fails nothing', async () => {
    const stale: Scripted = {
      match: /get statefulset helm-python/,
      stdout: JSON.stringify({ metadata: { name: 'helm-python' }, spec: { serviceName: 'helm-python' } }),
    };
    const { lab } = labWith([
      server('v1.35.2'),
      stale,
      { match: /patch statefulset helm-python .*--dry-run=server/, ...sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } }) },
      ...BASE,
    ]);
    const { checks } = await runPreflight(lab);
    expect(byName(checks).serviceName).toEqual({
      name: 'serviceName',
      state: 'warn',
      detail:
        "StatefulSet helm-python was deployed by an older k8s-lab chart: its serviceName is helm-python, this chart's is the headless Service helm-python-headless, and a live StatefulSet's serviceName cannot change",
      hint: 'migrate it before any update: k8s-lab deploy --migrate --namespace lab',
    });
    expect(checks.filter((c) => c.state === 'fail')).toEqual([]);
  });

  it('says nothing of it when the StatefulSet is governed by the headless Service', async () => {
    const current: Scripted = {
      match: /get statefulset helm-python/,
      stdout: JSON.stringify({ metadata: { name: 'helm-python' }, spec: { serviceName: 'helm-python-headless' } }),
    };
    const { lab } = labWith([
      server('v1.35.2'),
      current,
      { match: /patch statefulset helm-python .*--dry-run=server/, ...sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } }) },
      ...BASE,
    ]);
    const { checks } = await runPreflight(lab);
    expect(checks.map((c) => c.name)).not.toContain('serviceName');
  });
});
