// docs/least-privilege.md: the documented Role stays valid YAML of the three objects
// the end-to-end test applies, and grants exec the verb Kubernetes 1.35+ checks (create).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function documented(): { kind: string; metadata: { name: string; namespace: string }; rules?: Rule[]; roleRef?: { kind: string; name: string } }[] {
  const page = readFileSync(`${REPO_ROOT}/docs/least-privilege.md`, 'utf8');
  const block = /^```yaml\n([\s\S]*?)^```$/m.exec(page)?.[1] ?? '';
  const docs = parseAllDocuments(block);
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return docs.map((doc) => doc.toJS() as ReturnType<typeof documented>[number]);
}

describe('the Role in docs/least-privilege.md', () => {
  const objects = documented();
  const role = objects.find((o) => o.kind === 'Role');

  it('is a ServiceAccount, a Role and its RoleBinding, all in namespace k8s-lab', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    for (const o of objects) expect(o.metadata.namespace).toBe('k8s-lab');
    expect(objects[2]?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role?.metadata.name });
  });

  it('has only well-formed rules: lists of strings, no wildcard', () => {
    for (const rule of role?.rules ?? []) {
      for (const key of ['apiGroups', 'resources', 'verbs'] as const) {
        expect(Array.isArray(rule[key]), key).toBe(true);
        for (const item of rule[key]) expect(typeof item).toBe('string');
      }
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
    }
  });

  it('lets exec through on 1.35+ (create) and on older servers over WebSocket (get)', () => {
    const exec = role?.rules?.find((r) => r.resources.includes('pods/exec'));
    expect(exec?.apiGroups).toEqual(['']);
    expect(exec?.verbs).toEqual(expect.arrayContaining(['create', 'get']));
  });

  it('lets a server-side dry-run patch of the StatefulSet through (the native Recreate and maxUnavailable checks)', () => {
    const sts = role?.rules?.find((r) => r.resources.includes('statefulsets'));
    expect(sts?.apiGroups).toEqual(['apps']);
    expect(sts?.verbs).toContain('patch');
  });
});
