// The namespace Role users apply (rbac/k8s-lab-user.yaml) against what the chart really renders:
// every kind Helm installs, upgrades and uninstalls (hooks aside: `helm test` is documented as
// needing `create` on pods) must be covered with the verbs Helm 3 and Helm 4 use on it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { HELM_BINARIES, REPO_ROOT } from '../support/tools.js';
import { helmTemplate } from './helm.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const role = parseAllDocuments(readFileSync(`${REPO_ROOT}/rbac/k8s-lab-user.yaml`, 'utf8'))
  .map((doc) => doc.toJS() as { kind: string; rules?: Rule[] })
  .find((o) => o.kind === 'Role')!;

/** Helm 3 creates, reads and patches (three-way merge); Helm 4 applies server-side (a patch) and its uninstall watches what it deletes. */
const HELM_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'watch'];

const granted = (group: string, resource: string) =>
  new Set(role.rules!.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs));

describe.each(HELM_BINARIES)('the namespace Role covers what Helm $major installs', (helm) => {
  it('every kind of the rendered chart but the test hook, with every verb Helm uses on it', async () => {
    const { manifests } = await helmTemplate(helm, ['--kube-version', '1.35.0']);
    const kinds = manifests.filter((m) => !m.metadata.annotations?.['helm.sh/hook']).map((m) => [m.apiVersion, m.kind] as const);
    expect(kinds.map(([, kind]) => kind).sort()).toEqual(['ConfigMap', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
    for (const [apiVersion, kind] of kinds) {
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
      // The plural of each of these kinds is its lower case and an s (configmaps, services, statefulsets, poddisruptionbudgets).
      const resource = `${kind.toLowerCase()}s`;
      const verbs = granted(group, resource);
      expect(
        HELM_VERBS.filter((verb) => !verbs.has(verb)),
        `${group || 'core'}/${resource}`,
      ).toEqual([]);
    }
  });
});
