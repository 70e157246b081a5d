import { describe, expect, it } from 'vitest';
import { apiPath, Kubectl } from '../../src/adapters/kubectl.js';
import type { ProxyResponse } from '../../src/adapters/pod-exec.js';
import { FakeRunner } from '../support/fake-runner.js';

describe('apiPath', () => {
  it.each([
    ['statefulset', { name: 'helm-python' }, '/apis/apps/v1/namespaces/lab/statefulsets/helm-python'],
    ['statefulsets', {}, '/apis/apps/v1/namespaces/lab/statefulsets'],
    ['pods', { selector: 'a=b,c=d' }, '/api/v1/namespaces/lab/pods?labelSelector=a%3Db%2Cc%3Dd'],
    ['persistentvolumeclaims', { selector: 'app=c' }, '/api/v1/namespaces/lab/persistentvolumeclaims?labelSelector=app%3Dc'],
    ['service', { name: 'helm-python' }, '/api/v1/namespaces/lab/services/helm-python'],
  ])('%s %j → %s', (resource, query, path) => {
    expect(apiPath('lab', resource, query)).toBe(path);
  });
  it.each(['events', 'nodes', 'pods,statefulsets', 'constructor', 'toString'])('leaves %s to kubectl', (resource) => {
    expect(apiPath('lab', resource)).toBeUndefined();
  });
});

const pod = (name: string) => ({ metadata: { name } });
const json = (body: unknown, statusCode = 200): ProxyResponse => ({ statusCode, body: JSON.stringify(body) });

/** A kubectl adapter whose proxy answers from `answers` (by path; missing = connection refused) and whose kubectl answers the pod list. */
function proxied(answers: Record<string, ProxyResponse>) {
  const asked: string[] = [];
  const runner = new FakeRunner([
    { match: /get pods/, stdout: JSON.stringify({ items: [pod('from-kubectl')] }) },
    { match: /get statefulset helm-python/, exitCode: 1, stderr: 'Error from server (Forbidden): statefulsets.apps "helm-python" is forbidden' },
    { match: /^version --output json/, stdout: JSON.stringify({ serverVersion: { gitVersion: 'v1.20.2-kubectl' } }) },
  ]);
  const proxy = {
    get: async (path: string) => {
      asked.push(path);
      const answer = answers[path];
      if (!answer) throw new Error('connect ECONNREFUSED');
      return answer;
    },
  };
  return { kubectl: new Kubectl(runner, 'kubectl', { namespace: 'lab' }).withProxy({ proxy, namespace: 'lab' }), runner, asked };
}

describe('Kubectl through kubectl proxy', () => {
  const podsPath = '/api/v1/namespaces/lab/pods?labelSelector=app%3Dc';
  const stsPath = '/apis/apps/v1/namespaces/lab/statefulsets/helm-python';

  it('reads lists and objects with a GET each, running no kubectl', async () => {
    const { kubectl, runner, asked } = proxied({
      [podsPath]: json({ kind: 'PodList', items: [pod('helm-python-0')] }),
      [stsPath]: json({ metadata: { name: 'helm-python' } }),
    });
    expect((await kubectl.pods('app=c')).map((p) => p.metadata.name)).toEqual(['helm-python-0']);
    expect((await kubectl.statefulSet('helm-python'))?.metadata.name).toBe('helm-python');
    expect(asked).toEqual([podsPath, stsPath]);
    expect(runner.lines()).toEqual([]);
    expect(kubectl.readsThroughProxy).toBe(true);
  });

  it('takes NotFound from the API as "no such object"', async () => {
    const { kubectl, runner } = proxied({ [stsPath]: json({ kind: 'Status', reason: 'NotFound', code: 404 }, 404) });
    expect(await kubectl.statefulSet('helm-python')).toBeUndefined();
    expect(runner.lines()).toEqual([]);
  });

  it.each([
    ['refused', undefined],
    ['a 500', json({ kind: 'Status', reason: 'InternalError' }, 500)],
    ['a 404 that is no NotFound Status (the proxy itself)', { statusCode: 404, body: '404 page not found' }],
    ['a body that is not JSON', { statusCode: 200, body: '<html>' }],
  ])('asks kubectl when the proxy answers %s, so its error is the one reported', async (_, answer) => {
    const { kubectl, runner } = proxied(answer ? { [podsPath]: answer, [stsPath]: answer } : {});
    expect((await kubectl.pods('app=c')).map((p) => p.metadata.name)).toEqual(['from-kubectl']);
    await expect(kubectl.statefulSet('helm-python')).rejects.toThrow(/forbidden/);
    expect(runner.lines()).toEqual([expect.stringMatching(/get pods/), expect.stringMatching(/get statefulset helm-python/)]);
  });

  it('reads the server version from /version, else from kubectl version', async () => {
    expect(await proxied({ '/version': json({ gitVersion: 'v1.20.2' }) }).kubectl.serverVersion()).toBe('v1.20.2');
    expect(await proxied({}).kubectl.serverVersion()).toBe('v1.20.2-kubectl');
  });

  it('reads with kubectl processes when no proxy is attached', async () => {
    const runner = new FakeRunner([{ match: /get pods/, stdout: JSON.stringify({ items: [pod('from-kubectl')] }) }]);
    const kubectl = new Kubectl(runner, 'kubectl', { namespace: 'lab' });
    expect((await kubectl.pods('app=c')).map((p) => p.metadata.name)).toEqual(['from-kubectl']);
    expect(kubectl.readsThroughProxy).toBe(false);
  });
});
