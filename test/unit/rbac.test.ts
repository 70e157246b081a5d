// The least-privilege RBAC k8s-lab documents (README "Running with least privilege"), as the files
// users apply: rbac/k8s-lab-user.yaml (one namespace: ServiceAccount, Role, RoleBinding) and
// rbac/k8s-lab-nodes.yaml (the node lessons: a ClusterRole on nodes and its binding). Valid YAML of
// exactly those objects, no wildcard, and the verbs each feature is known to need.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/tools.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  subjects?: { kind: string; name: string; namespace?: string }[];
  roleRef?: { apiGroup: string; kind: string; name: string };
}

function objectsOf(file: string): RbacObject[] {
  const docs = parseAllDocuments(readFileSync(`${REPO_ROOT}/rbac/${file}`, 'utf8'));
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return docs.map((doc) => doc.toJS() as RbacObject);
}

/** The verbs a role grants on `resource` of `group`. */
function verbsOn(role: RbacObject | undefined, group: string, resource: string): string[] {
  return (role?.rules ?? []).filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs);
}

function expectWellFormed(role: RbacObject | undefined): void {
  expect(role?.rules?.length).toBeGreaterThan(0);
  for (const rule of role?.rules ?? []) {
    for (const key of ['apiGroups', 'resources', 'verbs'] as const) {
      expect(Array.isArray(rule[key]), key).toBe(true);
      for (const item of rule[key]) expect(typeof item).toBe('string');
    }
    expect(rule.verbs).not.toContain('*');
    expect(rule.resources).not.toContain('*');
    expect(rule.apiGroups).not.toContain('*');
  }
}

describe('rbac/k8s-lab-user.yaml: the namespace Role', () => {
  const objects = objectsOf('k8s-lab-user.yaml');
  const role = objects.find((o) => o.kind === 'Role');

  it('is a ServiceAccount, a Role and its RoleBinding, all in namespace k8s-lab', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    for (const o of objects) expect(o.metadata.namespace).toBe('k8s-lab');
    expect(objects[2]?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role?.metadata.name });
    expect(objects[2]?.subjects).toEqual([{ kind: 'ServiceAccount', name: objects[0]?.metadata.name, namespace: 'k8s-lab' }]);
  });

  it('has only well-formed rules: lists of strings, no wildcard, nothing cluster-scoped', () => {
    expectWellFormed(role);
    const resources = role!.rules!.flatMap((r) => r.resources);
    for (const clusterScoped of ['nodes', 'namespaces', 'storageclasses', 'persistentvolumes']) expect(resources).not.toContain(clusterScoped);
  });

  it('lets exec through on 1.35+ (create) and on older servers over WebSocket (get)', () => {
    expect(verbsOn(role, '', 'pods/exec')).toEqual(expect.arrayContaining(['create', 'get']));
  });

  it('lets a server-side dry-run patch of the StatefulSet through (the native Recreate and maxUnavailable checks)', () => {
    expect(verbsOn(role, 'apps', 'statefulsets')).toContain('patch');
  });

  it('lets deploy --migrate delete the StatefulSet (--cascade=orphan) and create it again', () => {
    expect(verbsOn(role, 'apps', 'statefulsets')).toEqual(expect.arrayContaining(['delete', 'create', 'get']));
  });

  it("lets Helm install, upgrade (Helm 4: server-side apply, a patch), watch and uninstall the chart's PodDisruptionBudget", () => {
    expect(verbsOn(role, 'policy', 'poddisruptionbudgets').sort()).toEqual(['create', 'delete', 'get', 'list', 'patch', 'watch']);
  });

  it('lets demo-drain evict pods through the Eviction API (create pods/eviction), and nothing more on evictions', () => {
    expect(verbsOn(role, '', 'pods/eviction')).toEqual(['create']);
  });

  it('does not let the account create pods (only `helm test` would)', () => {
    expect(verbsOn(role, '', 'pods')).not.toContain('create');
  });
});

describe('rbac/k8s-lab-nodes.yaml: what the node lessons need beyond the namespace', () => {
  const objects = objectsOf('k8s-lab-nodes.yaml');
  const clusterRole = objects.find((o) => o.kind === 'ClusterRole');
  const user = objectsOf('k8s-lab-user.yaml')[0]!;

  it('is a ClusterRole and a ClusterRoleBinding to the same ServiceAccount', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect(objects[1]?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole?.metadata.name });
    expect(objects[1]?.subjects).toEqual([{ kind: 'ServiceAccount', name: user.metadata.name, namespace: user.metadata.namespace }]);
  });

  it('grants on nodes only get, list, watch and patch (cordon, uncordon, the out-of-service taint), on PVs only get: no update, no delete', () => {
    expectWellFormed(clusterRole);
    expect(clusterRole?.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch'] },
      { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get'] },
    ]);
  });
});
