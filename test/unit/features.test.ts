// What the API server offers (native Recreate, maxUnavailable), decided from server-side dry-runs
// answered by a scripted kubectl; and how demo-update picks its method from that before any change.
import { describe, expect, it } from 'vitest';
import { Kubectl, kubectlArgs } from '../../src/adapters/kubectl.js';
import { chooseMethod } from '../../src/demos/run.js';
import { checkStrategyOptions } from '../../src/commands/demo-update.js';
import { UsageError } from '../../src/errors.js';
import { atLeast, offersMaxUnavailable, offersRecreate, parseServerVersion, probeStatefulSet } from '../../src/features.js';
import { createLab } from '../../src/lab-context.js';
import { createLogger } from '../../src/ui/logger.js';
import { FakeRunner, type Scripted } from '../support/fake-runner.js';

// A StatefulSet as the API server answers a dry-run patch, with the update strategy it would store.
const sts = (updateStrategy: object) =>
  JSON.stringify({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'helm-python', namespace: 'lab' }, spec: { replicas: 2, updateStrategy } });
// What a 1.37 API server without the gate says, as kubectl prints it: pkg/apis/apps/validation
// words it as an Invalid value of the whole strategy (field.Invalid, its value JSON-encoded)...
const INVALID =
  'The StatefulSet "helm-python" is invalid: spec.updateStrategy: Invalid value: {"type":"Recreate"}: must be \'RollingUpdate\' or \'OnDelete\'\n';
// ...and an enum check (declarative validation) would word it so.
const UNSUPPORTED =
  'The StatefulSet "helm-python" is invalid: spec.updateStrategy.type: Unsupported value: "Recreate": supported values: "OnDelete", "RollingUpdate"\n';

const kubectl = (script: Scripted[]) => {
  const runner = new FakeRunner(script);
  return { runner, kubectl: new Kubectl(runner, 'kubectl', { namespace: 'lab' }) };
};

describe('kubectlArgs for dry-runs', () => {
  it('patch: a JSON merge patch in one argument, --dry-run=server, JSON out, a request timeout', () => {
    expect(
      kubectlArgs.dryRunPatch({ namespace: 'lab' }, 'statefulset', 'helm-python', { spec: { updateStrategy: { type: 'Recreate', rollingUpdate: null } } }),
    ).toEqual([
      '--namespace',
      'lab',
      'patch',
      'statefulset',
      'helm-python',
      '--type',
      'merge',
      '--patch',
      '{"spec":{"updateStrategy":{"type":"Recreate","rollingUpdate":null}}}',
      '--dry-run=server',
      '--output',
      'json',
      '--request-timeout=10s',
    ]);
  });
  it('create: the object on stdin', () => {
    expect(kubectlArgs.dryRunCreate({ namespace: 'lab' })).toEqual([
      '--namespace',
      'lab',
      'create',
      '--filename',
      '-',
      '--dry-run=server',
      '--output',
      'json',
      '--request-timeout=10s',
    ]);
  });
});

describe('parseServerVersion / atLeast', () => {
  it.each([
    ['v1.37.2', 1, 37],
    ['v1.34.1+k3s1', 1, 34],
    ['v1.35.0-rc.1', 1, 35],
    ['1.20.2', 1, 20],
  ])('%s → %i.%i', (text, major, minor) => expect(parseServerVersion(text)).toEqual({ major, minor }));
  it('is undefined for what it cannot read, and never "at least" anything then', () => {
    expect(parseServerVersion('unknown')).toBeUndefined();
    expect(atLeast(undefined, 1, 0)).toBe(false);
  });
  it('compares minor versions as numbers, not text', () => {
    expect(atLeast({ major: 1, minor: 100 }, 1, 37)).toBe(true);
    expect(atLeast({ major: 1, minor: 9 }, 1, 34)).toBe(false);
    expect(atLeast({ major: 2, minor: 0 }, 1, 34)).toBe(true);
  });
});

describe('offersRecreate', () => {
  it('yes when the dry-run answers with type Recreate', async () => {
    const { kubectl: k, runner } = kubectl([{ match: /patch statefulset helm-python .*--dry-run=server/, stdout: sts({ type: 'Recreate' }) }]);
    expect(await offersRecreate(k, { kind: 'patch', name: 'helm-python' })).toEqual({
      state: 'yes',
      why: 'the API server accepts updateStrategy Recreate (server-side dry-run)',
    });
    expect(runner.calls).toHaveLength(1);
  });
  it.each([
    ['Invalid value … must be RollingUpdate or OnDelete', INVALID],
    ['Unsupported value: "Recreate"', UNSUPPORTED],
    // The internal type printed with %#v when it cannot be JSON-encoded.
    [
      'Invalid value with a Go struct',
      'The StatefulSet "x" is invalid: spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Recreate", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be \'RollingUpdate\' or \'OnDelete\'\n',
    ],
  ])('no on %s, naming the feature gate', async (_what, stderr) => {
    const { kubectl: k } = kubectl([{ match: /patch/, exitCode: 1, stderr }]);
    const offer = await offersRecreate(k, { kind: 'patch', name: 'helm-python' });
    expect(offer.state).toBe('no');
    expect(offer.why).toBe('the API server rejects updateStrategy Recreate (feature gate StatefulSetRecreateStrategy off, or Kubernetes before 1.37)');
  });
  it('unknown (not no) for another invalid value of the strategy', async () => {
    const { kubectl: k } = kubectl([
      {
        match: /patch/,
        exitCode: 1,
        stderr:
          'The StatefulSet "x" is invalid: spec.updateStrategy.rollingUpdate: Invalid value: {"partition":0}: only allowed for updateStrategy \'RollingUpdate\'\n',
      },
    ]);
    expect((await offersRecreate(k, { kind: 'patch', name: 'helm-python' })).state).toBe('unknown');
  });
  it('unknown on any other failure (not allowed to patch), with what kubectl said', async () => {
    const { kubectl: k } = kubectl([
      {
        match: /patch/,
        exitCode: 1,
        stderr: 'Error from server (Forbidden): statefulsets.apps "helm-python" is forbidden: User "u" cannot patch resource "statefulsets"\n',
      },
    ]);
    const offer = await offersRecreate(k, { kind: 'patch', name: 'helm-python' });
    expect(offer.state).toBe('unknown');
    expect(offer.why).toMatch(/^could not check \(Error from server \(Forbidden\)/);
  });
  it('create: sends a minimal StatefulSet with updateStrategy Recreate on stdin', async () => {
    const { kubectl: k, runner } = kubectl([{ match: /create --filename - --dry-run=server/, stdout: sts({ type: 'Recreate' }) }]);
    expect((await offersRecreate(k, { kind: 'create', name: 'k8s-lab-feature-check' })).state).toBe('yes');
    const sent = JSON.parse(runner.calls[0]?.input ?? '') as {
      kind: string;
      metadata: { name: string };
      spec: { updateStrategy: unknown; selector: { matchLabels: object }; template: { metadata: { labels: object } } };
    };
    expect(sent.kind).toBe('StatefulSet');
    expect(sent.metadata.name).toBe('k8s-lab-feature-check');
    expect(sent.spec.updateStrategy).toEqual({ type: 'Recreate', rollingUpdate: null });
    // A StatefulSet the API server would accept apart from the strategy: the selector matches the template.
    expect(sent.spec.selector.matchLabels).toEqual(sent.spec.template.metadata.labels);
    expect(probeStatefulSet('x', {})).toMatchObject({ apiVersion: 'apps/v1', spec: { serviceName: 'x', replicas: 1 } });
  });
});

describe('offersMaxUnavailable', () => {
  it('yes when the field comes back as sent', async () => {
    const { kubectl: k, runner } = kubectl([{ match: /patch/, stdout: sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } }) }]);
    expect((await offersMaxUnavailable(k, { kind: 'patch', name: 'helm-python' }, 2)).state).toBe('yes');
    expect(runner.lines()[0]).toContain('{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":2}}}}');
  });
  it('yes for a percentage kept as a string', async () => {
    const { kubectl: k } = kubectl([{ match: /patch/, stdout: sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: '50%' } }) }]);
    expect((await offersMaxUnavailable(k, { kind: 'patch', name: 'helm-python' }, '50%')).state).toBe('yes');
  });
  it('no when the server accepts the patch but drops the field (MaxUnavailableStatefulSet off)', async () => {
    const { kubectl: k } = kubectl([{ match: /patch/, stdout: sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } }) }]);
    const offer = await offersMaxUnavailable(k, { kind: 'patch', name: 'helm-python' }, 2);
    expect(offer).toEqual({
      state: 'no',
      why: 'the API server ignores rollingUpdate.maxUnavailable (feature gate MaxUnavailableStatefulSet off): it drops the field',
    });
  });
});

describe('demo-update chooses its method before any change', () => {
  const lab = (script: Scripted[]) => {
    const runner = new FakeRunner(script);
    const log = createLogger({ quiet: true });
    return { runner, lab: createLab({ release: 'helm-python', namespace: 'lab' }, { runner, log, env: { K8S_LAB_KUBECTL: 'kubectl', K8S_LAB_HELM: 'helm' } }) };
  };
  const changes = (runner: FakeRunner) => runner.lines().filter((line) => !line.includes('--dry-run=server'));

  it('recreate: native where the dry-run is accepted', async () => {
    const { lab: l, runner } = lab([{ match: /patch .*--dry-run=server/, stdout: sts({ type: 'Recreate' }) }]);
    expect(await chooseMethod(l, { strategy: 'recreate' })).toEqual({
      recreate: 'native',
      method: {
        id: 'native-recreate',
        label: 'native Recreate (StatefulSetRecreateStrategy)',
        why: 'the API server accepts updateStrategy Recreate (server-side dry-run)',
      },
    });
    expect(changes(runner)).toEqual([]);
  });
  it('recreate: emulated where the server rejects Recreate, saying why', async () => {
    const { lab: l } = lab([{ match: /patch .*--dry-run=server/, exitCode: 1, stderr: INVALID }]);
    const chosen = await chooseMethod(l, { strategy: 'recreate' });
    expect(chosen.recreate).toBe('emulated');
    expect(chosen.method?.label).toBe('emulated: OnDelete + delete');
    expect(chosen.method?.why).toContain('StatefulSetRecreateStrategy off');
  });
  it('recreate --emulate-recreate: emulated without asking the server', async () => {
    const { lab: l, runner } = lab([]);
    expect(await chooseMethod(l, { strategy: 'recreate', emulateRecreate: true })).toEqual({
      recreate: 'emulated',
      method: { id: 'emulated-recreate', label: 'emulated: OnDelete + delete', why: '--emulate-recreate' },
    });
    expect(runner.calls).toEqual([]);
  });
  it('rolling without --max-unavailable asks nothing', async () => {
    const { lab: l, runner } = lab([]);
    expect(await chooseMethod(l, { strategy: 'rolling' })).toEqual({ recreate: 'emulated' });
    expect(runner.calls).toEqual([]);
  });
  it('rolling --max-unavailable 2 where the server drops the field: a usage error (exit 2) naming the gate; only the dry-run ran', async () => {
    const { lab: l, runner } = lab([{ match: /patch .*--dry-run=server/, stdout: sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } }) }]);
    const error = await chooseMethod(l, { strategy: 'rolling', maxUnavailable: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toBe(
      '--max-unavailable 2: the API server ignores rollingUpdate.maxUnavailable (feature gate MaxUnavailableStatefulSet off): it drops the field; nothing was changed',
    );
    expect(runner.calls).toHaveLength(1);
    expect(changes(runner)).toEqual([]);
  });
  it('rolling --max-unavailable 50% where the server keeps it: goes ahead', async () => {
    const { lab: l } = lab([
      { match: /patch .*--dry-run=server/, stdout: sts({ type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: '50%' } }) },
    ]);
    await expect(chooseMethod(l, { strategy: 'rolling', maxUnavailable: '50%' })).resolves.toEqual({ recreate: 'emulated' });
  });
  it('rolling --max-unavailable when the check itself fails: exit 1, nothing changed', async () => {
    const { lab: l } = lab([{ match: /patch/, exitCode: 1, stderr: 'Error from server (Forbidden): nope\n' }]);
    const error = (await chooseMethod(l, { strategy: 'rolling', maxUnavailable: 2 }).catch((e: unknown) => e)) as UsageError;
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('could not check');
  });
});

describe('checkStrategyOptions', () => {
  it('refuses --emulate-recreate and --max-unavailable with another strategy (exit 2)', () => {
    expect(() => checkStrategyOptions({ strategy: 'rolling', emulateRecreate: true })).toThrow(
      '--emulate-recreate applies to --strategy recreate only, not rolling',
    );
    expect(() => checkStrategyOptions({ strategy: 'canary', maxUnavailable: 2 })).toThrow('--max-unavailable applies to --strategy rolling only, not canary');
    expect(() => checkStrategyOptions({ strategy: 'recreate', emulateRecreate: true })).not.toThrow();
    expect(() => checkStrategyOptions({ strategy: 'rolling', maxUnavailable: '25%' })).not.toThrow();
  });
});
