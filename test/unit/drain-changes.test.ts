// The changes demo-drain makes, as data: the eviction POST (kubectl has no evict verb) and how a
// refusal is told from another failure, on kubectl's own words (seen on the three-node cluster).
import { describe, expect, it } from 'vitest';
import { isBudgetRefusal, isPodGone, kubectlChanges } from '../../src/adapters/changes.js';

const kubectl = { bin: 'kubectl', target: { namespace: 'lab', context: 'kind-lab' } };

describe('kubectlChanges.evict', () => {
  it('POSTs a policy/v1 Eviction to the pod’s eviction subresource, the path naming the namespace (no --namespace: --raw ignores it)', () => {
    const change = kubectlChanges.evict(kubectl, 'lab', 'helm-python-1');
    expect(change.args).toEqual([
      '--context',
      'kind-lab',
      'create',
      '--raw',
      '/api/v1/namespaces/lab/pods/helm-python-1/eviction',
      '--filename',
      '-',
      '--request-timeout=10s',
    ]);
    expect(JSON.parse(change.input!)).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'helm-python-1', namespace: 'lab' } });
    expect(change.doing).toBe('evicting pod helm-python-1');
  });
});

describe('refusals', () => {
  const REFUSED = "kubectl create --raw …\nError from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.";
  const GONE = 'kubectl create --raw …\nError from server (NotFound): pods "helm-python-1" not found';
  const FORBIDDEN = 'kubectl create --raw …\nError from server (Forbidden): pods "helm-python-1" is forbidden: User "x" cannot create resource "pods/eviction"';
  it.each([
    [REFUSED, true, false],
    [GONE, false, true],
    [FORBIDDEN, false, false],
    [undefined, false, false],
  ])('%j: refused %s, gone %s', (detail, refused, gone) => {
    expect(isBudgetRefusal(detail)).toBe(refused);
    expect(isPodGone(detail)).toBe(gone);
  });
});
