import { readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';

/**
 * Which API server, credentials and namespace `kubectl` would use, read from the kubeconfig by the
 * rules kubectl follows (client-go's clientcmd loader), so k8s-lab can read the API server from Node
 * with no kubectl process: `--kubeconfig` alone, else every file of $KUBECONFIG merged (the first to
 * set a name or the current context wins; missing files skipped), else ~/.kube/config; `--context`
 * else current-context; `--namespace` else the context's, else "default". Paths in a file are
 * relative to that file. What it does not support it names, and kubectl reads instead.
 */

/** Which kubeconfig, context and namespace were asked for (kubectl.ts's KubeTarget). */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** An exec credential plugin (client.authentication.k8s.io), as EKS's and GKE's kubeconfigs use. */
export interface ExecPlugin {
  apiVersion: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  provideClusterInfo: boolean;
}

/** Everything needed to read the API server directly. Certificate fields hold PEM text. */
export interface ApiConnection {
  server: string;
  namespace: string;
  context: string;
  ca?: string;
  insecure: boolean;
  tlsServerName?: string;
  cert?: string;
  key?: string;
  token?: string;
  exec?: ExecPlugin;
  /** The cluster's stanza as the exec plugin's KUBERNETES_EXEC_INFO carries it (provideClusterInfo). */
  clusterInfo: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'tls-server-name'?: string };
}

/** Either a connection, or why kubectl must read instead (said with --verbose). */
export type Resolved = { connection: ApiConnection } | { unsupported: string };

type Stanza = Record<string, unknown>;
/** A named entry of clusters/users/contexts with the folder of the file it came from. */
interface Named {
  value: Stanza;
  dir: string;
}
interface Merged {
  currentContext?: string;
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
}

export interface ResolveInput {
  target: KubeTarget;
  env: Record<string, string | undefined>;
  /** Reads a file as text; throws when it cannot (injected by tests). */
  readFile?: (path: string) => string;
  /** Parses a kubeconfig's YAML: js-yaml with YAML 1.2's core schema, as the `yaml` package read it (a third less load time), unless a test says otherwise. */
  parseYaml?: (text: string) => unknown;
}

/** The kubeconfig files kubectl reads, in order of precedence. */
export function kubeconfigFiles(target: KubeTarget, env: Record<string, string | undefined>): string[] {
  if (target.kubeconfig) return [target.kubeconfig];
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length) return [...new Set(listed)];
  const home = env.HOME ?? env.USERPROFILE;
  return home ? [join(home, '.kube', 'config')] : [];
}

/** Merges the files as kubectl does: the first file to set a map key, or current-context, wins. */
export function mergeKubeconfigs(files: { path: string; config: unknown }[]): Merged {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const { path, config } of files) {
    if (!config || typeof config !== 'object') continue;
    const doc = config as Stanza;
    const dir = dirname(resolve(path));
    if (merged.currentContext === undefined && typeof doc['current-context'] === 'string' && doc['current-context']) {
      merged.currentContext = doc['current-context'];
    }
    for (const [list, key] of [
      [merged.clusters, 'cluster'],
      [merged.users, 'user'],
      [merged.contexts, 'context'],
    ] as const) {
      const entries = doc[`${key}s`];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries as Stanza[]) {
        const name = entry?.name;
        if (typeof name === 'string' && !list.has(name)) list.set(name, { value: (entry[key] as Stanza | undefined) ?? {}, dir });
      }
    }
  }
  return merged;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const fromBase64 = (data: string) => Buffer.from(data, 'base64').toString('utf8');
const inDir = (dir: string, path: string) => (isAbsolute(path) ? path : join(dir, path));

/** Settings kubectl honours that this reader does not: kubectl reads instead. */
const UNSUPPORTED_USER = ['auth-provider', 'username', 'password', 'as', 'as-uid', 'as-groups', 'as-user-extra'];
const UNSUPPORTED_CLUSTER = ['proxy-url'];
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** The connection kubectl would make with these files, or why this reader cannot make it. */
export function resolveConnection(merged: Merged, target: KubeTarget, env: Record<string, string | undefined>, read: (path: string) => string): Resolved {
  const contextName = target.context ?? merged.currentContext;
  if (!contextName) return { unsupported: 'the kubeconfig names no current context' };
  const context = merged.contexts.get(contextName);
  if (!context) return { unsupported: `context "${contextName}" is not in the kubeconfig` };
  const cluster = merged.clusters.get(str(context.value.cluster) ?? '');
  if (!cluster) return { unsupported: `context "${contextName}" names no cluster the kubeconfig has` };
  const user = merged.users.get(str(context.value.user) ?? '') ?? { value: {}, dir: cluster.dir };
  const c = cluster.value;
  const u = user.value;
  const server = str(c.server);
  if (!server || !/^https?:\/\//.test(server)) return { unsupported: `cluster server "${server ?? ''}" is not an http(s) URL` };
  const setting = [...UNSUPPORTED_CLUSTER.filter((k) => c[k] !== undefined), ...UNSUPPORTED_USER.filter((k) => u[k] !== undefined)];
  if (setting.length) return { unsupported: `the kubeconfig uses ${setting.join(', ')}` };
  const proxy = PROXY_ENV.find((k) => env[k]);
  if (proxy) return { unsupported: `$${proxy} is set (kubectl goes through the proxy)` };
  const insecure = c['insecure-skip-tls-verify'] === true;
  const caData = str(c['certificate-authority-data']);
  const caFile = str(c['certificate-authority']);
  // kubectl refuses this combination with an error of its own: let it say so.
  if (insecure && (caData || caFile)) return { unsupported: 'the cluster sets both insecure-skip-tls-verify and a certificate authority' };
  const exec = execPlugin(u.exec, user.dir);
  if (typeof exec === 'string') return { unsupported: exec };
  try {
    const ca = caData ? fromBase64(caData) : caFile ? read(inDir(cluster.dir, caFile)) : undefined;
    const certData = str(u['client-certificate-data']);
    const certFile = str(u['client-certificate']);
    const keyData = str(u['client-key-data']);
    const keyFile = str(u['client-key']);
    const tokenFile = str(u.tokenFile);
    const connection: ApiConnection = {
      server: server.replace(/\/+$/, ''),
      namespace: target.namespace ?? str(context.value.namespace) ?? 'default',
      context: contextName,
      insecure,
      ...(ca !== undefined && { ca }),
      ...(str(c['tls-server-name']) && { tlsServerName: str(c['tls-server-name']) }),
      ...(certData ? { cert: fromBase64(certData) } : certFile ? { cert: read(inDir(user.dir, certFile)) } : {}),
      ...(keyData ? { key: fromBase64(keyData) } : keyFile ? { key: read(inDir(user.dir, keyFile)) } : {}),
      // client-go: a token file, when set, is what is sent (re-read as it changes); else the token.
      ...(tokenFile ? { token: read(inDir(user.dir, tokenFile)).trim() } : str(u.token) ? { token: str(u.token) } : {}),
      ...(exec && { exec }),
      clusterInfo: {
        server,
        ...(ca !== undefined && { 'certificate-authority-data': Buffer.from(ca).toString('base64') }),
        ...(insecure && { 'insecure-skip-tls-verify': true }),
        ...(str(c['tls-server-name']) && { 'tls-server-name': str(c['tls-server-name']) }),
      },
    };
    if (Boolean(connection.cert) !== Boolean(connection.key))
      return { unsupported: 'the user has a client certificate without its key, or a key without its certificate' };
    return { connection };
  } catch (error) {
    return { unsupported: `a file the kubeconfig names cannot be read (${(error as Error).message})` };
  }
}

/** The user's exec plugin, undefined when there is none, or why it is not supported. */
function execPlugin(value: unknown, dir: string): ExecPlugin | undefined | string {
  if (!value || typeof value !== 'object') return undefined;
  const exec = value as Stanza;
  const apiVersion = str(exec.apiVersion) ?? '';
  if (!/^client\.authentication\.k8s\.io\/(v1|v1beta1)$/.test(apiVersion)) return `exec plugin apiVersion "${apiVersion}"`;
  const command = str(exec.command);
  if (!command) return 'an exec plugin without a command';
  if (exec.interactiveMode === 'Always') return 'an exec plugin that needs a terminal (interactiveMode: Always)';
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(exec.env) ? (exec.env as Stanza[]) : []) {
    if (typeof entry?.name === 'string') env[entry.name] = String(entry.value ?? '');
  }
  return {
    apiVersion,
    // client-go resolves a command given as a relative path (one with a separator) against the kubeconfig's folder.
    command: /[\\/]/.test(command) && !isAbsolute(command) ? join(dir, command) : command,
    args: Array.isArray(exec.args) ? (exec.args as unknown[]).map(String) : [],
    env,
    provideClusterInfo: exec.provideClusterInfo === true,
  };
}

/** Reads and merges the kubeconfig files and resolves the connection; files that are missing are skipped, as kubectl does. */
export function resolveKubeconfig({
  target,
  env,
  readFile = (path) => readFileSync(path, 'utf8'),
  parseYaml = (text) => load(text, { schema: CORE_SCHEMA }),
}: ResolveInput): Resolved {
  const files: { path: string; config: unknown }[] = [];
  for (const path of kubeconfigFiles(target, env)) {
    let text: string;
    try {
      text = readFile(path);
    } catch {
      if (target.kubeconfig) return { unsupported: `kubeconfig ${path} cannot be read` };
      continue;
    }
    try {
      files.push({ path, config: /^\s*\{/.test(text) ? JSON.parse(text) : parseYaml(text) });
    } catch (error) {
      return { unsupported: `kubeconfig ${path} does not parse (${(error as Error).message})` };
    }
  }
  if (!files.length) return { unsupported: 'no kubeconfig file' };
  return resolveConnection(mergeKubeconfigs(files), target, env, readFile);
}
