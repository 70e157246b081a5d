// Runs the real helm binaries on the bundled chart and parses what they render.
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR, type HelmBinary } from '../support/tools.js';

export const RELEASE = 'helm-python';

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  labels?: Labels;
  annotations?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: { type: string };
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: EnvVar[];
  readinessProbe?: { httpGet?: { path: string; port: string | number }; periodSeconds?: number; failureThreshold?: number };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
}

export interface StatefulSet {
  apiVersion: string;
  kind: 'StatefulSet';
  metadata: ObjectMeta;
  spec: {
    serviceName: string;
    replicas: number;
    podManagementPolicy: string;
    persistentVolumeClaimRetentionPolicy?: { whenDeleted: string; whenScaled: string };
    updateStrategy: { type: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
    selector: { matchLabels: Labels };
    template: { metadata: ObjectMeta; spec: PodSpec };
    volumeClaimTemplates: {
      metadata: ObjectMeta;
      spec: { accessModes: string[]; storageClassName?: string; resources: { requests: { storage: string } } };
    }[];
  };
}

export interface Service {
  apiVersion: string;
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    type?: string;
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    selector: Labels;
    ports: { name?: string; port: number; targetPort: string | number; protocol?: string; nodePort?: number }[];
  };
}

export interface ConfigMap {
  apiVersion: string;
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Record<string, string>;
}

export interface Pod {
  apiVersion: string;
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
}

export interface PodDisruptionBudget {
  apiVersion: string;
  kind: 'PodDisruptionBudget';
  metadata: ObjectMeta;
  spec: { maxUnavailable?: number | string; minAvailable?: number | string; selector: { matchLabels: Labels }; unhealthyPodEvictionPolicy?: string };
}

export type Manifest = StatefulSet | Service | ConfigMap | Pod | PodDisruptionBudget;

export interface Rendered {
  manifests: Manifest[];
  statefulSet: StatefulSet;
  /** The Service clients use (NodePort by default), named after the release. */
  service: Service;
  /** The headless Service that governs the StatefulSet (its serviceName). */
  headless: Service;
  /** The PodDisruptionBudget, when the chart renders one. */
  pdb?: PodDisruptionBudget;
  configMap: ConfigMap;
  testPod: Pod;
  /** The StatefulSet's only container. */
  app: Container;
}

export interface HelmResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runHelm(helm: HelmBinary, args: string[], env: Record<string, string> = {}): Promise<HelmResult> {
  const result = await execa(helm.path, args, { reject: false, timeout: 30_000, stdin: 'ignore', env });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template <release, helm-python by default> chart/ <args>`, parsed; throws with helm's stderr when it fails. */
export async function helmTemplate(helm: HelmBinary, args: string[] = [], release = RELEASE): Promise<Rendered> {
  const result = await runHelm(helm, ['template', release, CHART_DIR, ...args]);
  if (result.exitCode !== 0) {
    throw new Error(`helm ${helm.major} template ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}`);
  }
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(result.stdout)) {
    if (doc.errors.length > 0) throw new Error(`helm ${helm.major} rendered invalid YAML: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) manifests.push(value as Manifest);
  }
  const only = <K extends Manifest['kind']>(kind: K): Extract<Manifest, { kind: K }> => {
    const found = manifests.filter((m): m is Extract<Manifest, { kind: K }> => m.kind === kind);
    if (found.length !== 1) throw new Error(`expected exactly one ${kind}, got ${found.length}`);
    return found[0]!;
  };
  const statefulSet = only('StatefulSet');
  const containers = statefulSet.spec.template.spec.containers;
  if (containers.length !== 1) throw new Error(`expected one container, got ${containers.length}`);
  const services = manifests.filter((m): m is Service => m.kind === 'Service');
  const headless = services.filter((s) => s.spec.clusterIP === 'None');
  const served = services.filter((s) => s.spec.clusterIP !== 'None');
  if (headless.length !== 1 || served.length !== 1) throw new Error(`expected one headless and one other Service, got ${headless.length} and ${served.length}`);
  const budgets = manifests.filter((m): m is PodDisruptionBudget => m.kind === 'PodDisruptionBudget');
  if (budgets.length > 1) throw new Error(`expected at most one PodDisruptionBudget, got ${budgets.length}`);
  return {
    manifests,
    statefulSet,
    service: served[0]!,
    headless: headless[0]!,
    pdb: budgets[0],
    configMap: only('ConfigMap'),
    testPod: only('Pod'),
    app: containers[0]!,
  };
}

/** The environment of a container as a name -> value map (valueFrom as "fieldRef:<path>"). */
export function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef ? `fieldRef:${e.valueFrom.fieldRef.fieldPath}` : e.value]));
}
