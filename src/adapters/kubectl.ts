import { LabError } from '../errors.js';
import { goDuration, KUBE_REQUEST_MS, KUBECTL_CALL_MS } from '../limits.js';
import type { Runner, ToolCall, ToolResult, ToolStream } from '../process/runner.js';
import type { ApiReader } from './exec-channel.js';
import { apiFailure, toolFailure } from './failure.js';
import { parseJson, type KubeEvent, type List, type Node, type Pod, type Service, type StatefulSet, type StorageClass } from './kube-objects.js';

/** Which cluster and namespace to talk to; unset fields fall back to the kubeconfig, as kubectl does. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** ` in namespace X` when one was given, for messages; empty when the kubeconfig decides. */
export function inNamespace(target: KubeTarget): string {
  return target.namespace ? ` in namespace ${target.namespace}` : '';
}

/** How long one API call may take before kubectl gives up on the server. */
const REQUEST_TIMEOUT = goDuration(KUBE_REQUEST_MS);

/** What demo-failover sends the app: a crash (SIGKILL), a hang (SIGSTOP) and its end (SIGCONT). */
export type ProcessSignal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT';

/** The processes a signal reached: their PIDs, when (the node's clock, ms since the epoch) and their states after it. */
export interface SignalledProcesses {
  found: boolean;
  pids: number[];
  /** When the first was signalled by the pod's clock; null when it did not say. */
  atEpochMs: number | null;
  /** Each one's state 50 ms after the signal (`T`: stopped, `S`/`R`: running, `-`: gone or not read). */
  states: string[];
}

/** The lines of signalProcess's script: `PID [EPOCH-MS STATE]`. */
export function parseSignalled(stdout: string): SignalledProcesses {
  const lines = stdout
    .split('\n')
    .map((line) => /^(\d+)(?: (\d+) (\S+))?$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null);
  const at = lines[0]?.[2];
  return {
    found: lines.length > 0,
    pids: lines.map((m) => Number(m[1])),
    atEpochMs: at === undefined ? null : Number(at),
    states: lines.map((m) => m[3] ?? '-'),
  };
}

// Argument builders: pure, table-tested.
export const kubectlArgs = {
  scope(target: KubeTarget, { namespaced = true } = {}): string[] {
    return [
      ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
      ...(target.context ? ['--context', target.context] : []),
      ...(namespaced && target.namespace ? ['--namespace', target.namespace] : []),
    ];
  },
  get(target: KubeTarget, resource: string, { name, selector }: { name?: string; selector?: string } = {}): string[] {
    return [
      ...this.scope(target),
      'get',
      resource,
      ...(name ? [name] : []),
      ...(selector ? ['--selector', selector] : []),
      '--output',
      'json',
      `--request-timeout=${REQUEST_TIMEOUT}`,
    ];
  },
  /** Every object of a kind in every namespace (`--all-namespaces`). */
  getAllNamespaces(target: KubeTarget, resource: string): string[] {
    return [...this.scope(target, { namespaced: false }), 'get', resource, '--all-namespaces', '--output', 'json', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  getClusterScoped(target: KubeTarget, resource: string, name?: string): string[] {
    return [...this.scope(target, { namespaced: false }), 'get', resource, ...(name ? [name] : []), '--output', 'json', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  createNamespace(target: KubeTarget, name: string): string[] {
    return [...this.scope(target, { namespaced: false }), 'create', 'namespace', name, `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  deleteNamespace(target: KubeTarget, name: string, timeout: string): string[] {
    return [...this.scope(target, { namespaced: false }), 'delete', 'namespace', name, '--ignore-not-found', '--wait=true', `--timeout=${timeout}`];
  },
  exec(target: KubeTarget, pod: string, container: string, command: string[]): string[] {
    return [...this.scope(target), 'exec', pod, '--container', container, `--request-timeout=${REQUEST_TIMEOUT}`, '--', ...command];
  },
  version(target: KubeTarget): string[] {
    return [...this.scope(target, { namespaced: false }), 'version', '--output', 'json', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  clientVersion(): string[] {
    return ['version', '--client', '--output', 'json'];
  },
  currentNamespace(target: KubeTarget): string[] {
    return [...this.scope(target, { namespaced: false }), 'config', 'view', '--minify', '--output', 'json'];
  },
  deletePvcs(target: KubeTarget, names: string[], timeout: string): string[] {
    return [...this.scope(target), 'delete', 'persistentvolumeclaims', ...names, '--wait=true', `--timeout=${timeout}`];
  },
  /**
   * Deletes a StatefulSet but not what it owns (`--cascade=orphan`): its pods go on running and its
   * PVCs stay. Waits until the object is gone (the garbage collector has let go of its pods).
   */
  /** Marks a node unschedulable (`kubectl cordon`) or schedulable again (`kubectl uncordon`): pods on it stay. */
  cordon(target: KubeTarget, node: string, on: boolean): string[] {
    return [...this.scope(target, { namespaced: false }), on ? 'cordon' : 'uncordon', node, `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  orphanStatefulSet(target: KubeTarget, name: string, timeout: string): string[] {
    return [...this.scope(target), 'delete', 'statefulset', name, '--cascade=orphan', '--wait=true', `--timeout=${timeout}`];
  },
  /** Creates the object given as JSON on stdin. */
  create(target: KubeTarget): string[] {
    return [...this.scope(target), 'create', '--filename', '-', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  /**
   * POSTs the Eviction given as JSON on stdin to a pod's eviction subresource (kubectl has no evict
   * verb; `kubectl drain` POSTs the same): the API server refuses it with 429 while the pod's
   * PodDisruptionBudget allows no disruption.
   */
  evict(target: KubeTarget, namespace: string, pod: string): string[] {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/eviction`;
    return [...this.scope(target, { namespaced: false }), 'create', '--raw', path, '--filename', '-', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  watchPods(target: KubeTarget, selector: string): string[] {
    return [...this.scope(target), 'get', 'pods', '--selector', selector, '--watch', '--output-watch-events', '--output', 'json'];
  },
  /** One StatefulSet, as it is now and then at every change (`k8s-lab watch`). */
  watchStatefulSet(target: KubeTarget, name: string): string[] {
    return [...this.scope(target), 'get', 'statefulset', name, '--watch', '--output-watch-events', '--output', 'json'];
  },
  /**
   * The events about one object (a pod's probe failures, scheduling, pulls). With its UID, only this
   * incarnation's: a StatefulSet pod comes back under the same name.
   */
  events(target: KubeTarget, object: { name: string; uid?: string }): string[] {
    const selector = `involvedObject.name=${object.name}${object.uid ? `,involvedObject.uid=${object.uid}` : ''}`;
    return [...this.scope(target), 'get', 'events', '--field-selector', selector, '--output', 'json', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  deletePods(target: KubeTarget, names: string[], gracePeriodSeconds?: number): string[] {
    const grace = gracePeriodSeconds === undefined ? [] : [`--grace-period=${gracePeriodSeconds}`];
    return [...this.scope(target), 'delete', 'pods', ...names, ...grace, '--wait=false', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  /** Puts a taint on a node (`key=value:Effect`, replacing one of the same key and effect), or with `remove` takes it off (`key:Effect-`). */
  taintNode(target: KubeTarget, node: string, taint: { key: string; value: string; effect: string }, remove = false): string[] {
    const spec = remove ? [`${taint.key}:${taint.effect}-`] : [`${taint.key}=${taint.value}:${taint.effect}`, '--overwrite'];
    return [...this.scope(target, { namespaced: false }), 'taint', 'nodes', node, ...spec, `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  /**
   * A JSON merge patch the API server validates, defaults and returns without storing it
   * (`--dry-run=server`): what the object would become, or the server's rejection.
   */
  dryRunPatch(target: KubeTarget, resource: string, name: string, patch: unknown): string[] {
    return [
      ...this.scope(target),
      'patch',
      resource,
      name,
      '--type',
      'merge',
      '--patch',
      JSON.stringify(patch),
      '--dry-run=server',
      '--output',
      'json',
      `--request-timeout=${REQUEST_TIMEOUT}`,
    ];
  },
  /** An object (given as JSON on stdin) created with `--dry-run=server`: checked by the API server, never stored. */
  dryRunCreate(target: KubeTarget): string[] {
    return [...this.scope(target), 'create', '--filename', '-', '--dry-run=server', '--output', 'json', `--request-timeout=${REQUEST_TIMEOUT}`];
  },
  /**
   * A signal to the process whose command line is exactly `argv`, run with the container's python3:
   * SIGKILL (a crash, no SIGTERM, no drain), SIGSTOP (a hang: the process keeps its port, answers
   * nothing) or SIGCONT (resumed). Inside the pod's shared process namespace (the chart's
   * shareProcessNamespace) the app is not PID 1, which ignores a SIGKILL or SIGSTOP sent from inside.
   * Prints one line per process signalled: its PID, when it was signalled (ms since the epoch, the
   * node's clock) and, but after a SIGKILL, its state 50 ms later (/proc/PID/stat: T stopped); none
   * when it found no such process.
   */
  signalProcess(target: KubeTarget, pod: string, container: string, argv: string[], signal: ProcessSignal = 'SIGKILL'): string[] {
    const script = [
      'import os, signal, time',
      `want = ${JSON.stringify(`${argv.join('\0')}\0`)}.encode()`,
      'for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:',
      '    try:',
      '        line = open("/proc/%s/cmdline" % pid, "rb").read()',
      '    except OSError:',
      '        continue',
      '    if line == want:',
      ...(signal === 'SIGKILL'
        ? // Said before the kill: the container stops with its app and may take this exec with it.
          ['        print(pid, int(time.time() * 1000), "-", flush=True)', `        os.kill(int(pid), signal.${signal})`]
        : [
            `        os.kill(int(pid), signal.${signal})`,
            '        at = int(time.time() * 1000)',
            '        time.sleep(0.05)',
            '        try:',
            '            state = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0]',
            '        except (OSError, IndexError):',
            '            state = "-"',
            '        print(pid, at, state, flush=True)',
          ]),
    ].join('\n');
    return this.exec(target, pod, container, ['python3', '-c', script]);
  },
  /** SIGKILL to the process running `argv` (see signalProcess). */
  killProcess(target: KubeTarget, pod: string, container: string, argv: string[]): string[] {
    return this.signalProcess(target, pod, container, argv, 'SIGKILL');
  },
  rawGet(target: KubeTarget, path: string): string[] {
    return [...this.scope(target, { namespaced: false }), 'get', '--raw', path, `--request-timeout=${REQUEST_TIMEOUT}`];
  },
};

/** The API groups of the namespaced kinds that can be read through `kubectl proxy` (see Kubectl.withProxy). */
const API_GROUPS: Record<string, string> = { pods: 'api/v1', services: 'api/v1', persistentvolumeclaims: 'api/v1', statefulsets: 'apis/apps/v1' };

/**
 * The API path of what `kubectl get RESOURCE [NAME] [--selector S]` reads in a namespace, for the
 * kinds above (`statefulset` or `statefulsets`); undefined for any other, which kubectl reads itself.
 */
export function apiPath(namespace: string, resource: string, { name, selector }: { name?: string; selector?: string } = {}): string | undefined {
  const plural = resource.endsWith('s') ? resource : `${resource}s`;
  const group = Object.hasOwn(API_GROUPS, plural) ? API_GROUPS[plural] : undefined;
  if (!group) return undefined;
  const collection = `/${group}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  if (name) return `${collection}/${encodeURIComponent(name)}`;
  return selector ? `${collection}?labelSelector=${encodeURIComponent(selector)}` : collection;
}

/** What reads an API path through a running `kubectl proxy` (KubeProxy in pod-exec.ts). */
export interface ApiGetter {
  get(path: string): Promise<{ statusCode: number; body: string }>;
}

/**
 * What reads the API: a running `kubectl proxy`, or the API server itself read from Node with the
 * kubeconfig's credentials (`direct`, its URL); and the namespace to read in (the one kubectl would use).
 */
export interface ProxiedReads {
  proxy: ApiGetter;
  namespace: string;
  /** Set when `proxy` is the API server itself: its failures are reported as kubectl's would be, with no kubectl call. */
  direct?: { server: string };
  /** The same reads tried once, where `proxy` tries again while the control plane is away (a demo's ResumingReader). */
  once?: ApiGetter;
}

/**
 * Which cluster a measurement was made on. `uid` is the kube-system namespace's UID: made once when
 * the cluster was created, the same through every kubeconfig, context or address that reaches it, and
 * new when the cluster is re-created. `server` and `context` come from the kubeconfig, for the reader
 * (and the match when the UID could not be read: a user whose Role covers one namespace).
 */
export interface ClusterIdentity {
  uid: string | null;
  server: string | null;
  context: string | null;
}

/**
 * Whether two identities name the same cluster: by the kube-system UID when both have one, else by
 * the API server's URL; never when neither is known.
 */
export function sameCluster(a: ClusterIdentity | undefined, b: ClusterIdentity | undefined): boolean {
  if (!a || !b) return false;
  if (a.uid && b.uid) return a.uid === b.uid;
  return Boolean(a.server && b.server && a.server === b.server);
}

/** The API server read from Node (kube-api.ts), or why kubectl must read instead. */
export type DirectReads = { reads: ProxiedReads; api: ApiReader } | { unsupported: string };

export interface KubectlVersion {
  client?: string;
  server?: string;
}

/**
 * The kubectl adapter: runs reads through the one runner and returns parsed objects or throws
 * LabError. Its changes are built by kubectlChanges (changes.ts) and carried out by the lab's apply.
 */
export class Kubectl {
  constructor(
    private readonly runner: Runner,
    readonly bin: string,
    readonly target: KubeTarget,
    private readonly proxied?: ProxiedReads,
    /** Where KUBECONFIG and HOME are read: the lab passes the process's; with none, no kubeconfig is read from Node. */
    private readonly env: Record<string, string | undefined> = {},
  ) {}

  /**
   * The same adapter, reading the StatefulSet, pods, PVCs, Services and the server version through
   * a running `kubectl proxy`: an HTTP GET each instead of a kubectl process (~0.15 s of CPU) each.
   * Any answer but the object, its list or NotFound is read again with kubectl, whose error is the one to report.
   */
  withProxy(proxied: ProxiedReads): Kubectl {
    return new Kubectl(this.runner, this.bin, this.target, proxied, this.env);
  }

  /** The same adapter with each read tried once: for a caller that tries again itself (the pod watch lists again every second). */
  readingOnce(): Kubectl {
    return this.proxied?.once ? this.withProxy({ ...this.proxied, proxy: this.proxied.once, once: undefined }) : this;
  }

  /**
   * The API server, read from Node with the kubeconfig's own credentials (kubeconfig.ts resolves
   * them as kubectl would): no kubectl process at all. `unsupported` says why not, where the
   * kubeconfig uses something only kubectl does (an auth-provider, a proxy): then kubectl reads.
   */
  async direct(echo?: (line: string) => void): Promise<DirectReads> {
    const [{ resolveKubeconfig }, { KubeApi }] = await Promise.all([import('./kubeconfig.js'), import('./kube-api.js')]);
    const resolved = resolveKubeconfig({ target: this.target, env: this.env });
    if ('unsupported' in resolved) return resolved;
    const api = new KubeApi(resolved.connection, this.runner, echo);
    return { api, reads: { proxy: api, namespace: resolved.connection.namespace, direct: { server: resolved.connection.server } } };
  }

  /** Reads cost an HTTP GET, not a process: polling may be frequent. */
  get readsThroughProxy(): boolean {
    return this.proxied !== undefined;
  }

  /** Reads through the proxy when one is attached: `{ found }`, or undefined to ask kubectl instead. */
  private async viaProxy<T>(resource: string, query: { name?: string; selector?: string }, doing: string): Promise<{ found: T | undefined } | undefined> {
    const path = this.proxied && apiPath(this.proxied.namespace, resource, query);
    if (!path) return undefined;
    const reply = await this.proxied.proxy.get(path).catch((error: Error) => error);
    const failure = this.proxied.direct && apiFailure(doing, this.proxied.direct.server, reply);
    if (failure) throw failure;
    const answer = reply instanceof Error ? undefined : reply;
    if (answer?.statusCode === 404 && query.name && /"reason":\s*"NotFound"/.test(answer.body)) return { found: undefined };
    if (answer?.statusCode !== 200) return undefined;
    try {
      return { found: JSON.parse(answer.body) as T };
    } catch {
      return undefined;
    }
  }

  private call(args: string[], timeoutMs = KUBECTL_CALL_MS): ToolCall {
    return { bin: this.bin, args, timeoutMs };
  }

  /** Runs a read and returns its result, failed or not. */
  private tryRun(args: string[], timeoutMs = KUBECTL_CALL_MS, input?: string): Promise<ToolResult> {
    return this.runner.run({ ...this.call(args, timeoutMs), ...(input !== undefined && { input }) });
  }

  private async run(args: string[], doing: string, timeoutMs = KUBECTL_CALL_MS): Promise<ToolResult> {
    const result = await this.tryRun(args, timeoutMs);
    if (result.exitCode !== 0) throw toolFailure(result, doing);
    return result;
  }

  private async getJson<T>(args: string[], doing: string): Promise<T> {
    const result = await this.run(args, doing);
    return parseJson<T>(result.stdout, doing);
  }

  /** A GET of an API path through the attached `kubectl proxy`: any status, the body as text; undefined when none is attached. */
  proxyGet(path: string): Promise<{ statusCode: number; body: string }> | undefined {
    return this.proxied?.proxy.get(path);
  }

  /** `kubectl get --raw PATH` (the API server's service proxy, for one): the result, failed or not. */
  rawGet(path: string, timeoutMs: number): Promise<ToolResult> {
    return this.tryRun(kubectlArgs.rawGet(this.target, path), timeoutMs);
  }

  /** A merge patch checked by the API server and never stored (`--dry-run=server`): the result, failed or not. */
  serverDryRunPatch(resource: string, name: string, patch: unknown): Promise<ToolResult> {
    return this.tryRun(kubectlArgs.dryRunPatch(this.target, resource, name, patch));
  }

  /** An object created with `--dry-run=server` (checked, never stored): the result, failed or not. */
  serverDryRunCreate(object: unknown): Promise<ToolResult> {
    return this.tryRun(kubectlArgs.dryRunCreate(this.target), KUBECTL_CALL_MS, JSON.stringify(object));
  }

  /**
   * A long-running kubectl (`kubectl proxy`) whose stdout is read as it comes; ends after `timeoutMs`
   * at the latest. For reads only: a change is built in changes.ts and carried out by the lab's apply.
   */
  stream(args: string[], timeoutMs: number, onStdout: (chunk: string) => void): ToolStream {
    return this.runner.stream(this.call(args, timeoutMs), onStdout);
  }

  /** A named object, or undefined when the API says NotFound. */
  async find<T>(resource: string, name: string): Promise<T | undefined> {
    const proxied = await this.viaProxy<T>(resource, { name }, `reading ${resource} ${name}`);
    if (proxied) return proxied.found;
    const result = await this.tryRun(kubectlArgs.get(this.target, resource, { name }));
    if (result.exitCode !== 0) {
      if (/NotFound|not found/.test(result.stderr) && !/context/.test(result.stderr)) return undefined;
      throw toolFailure(result, `reading ${resource} ${name}`);
    }
    return parseJson<T>(result.stdout, `${resource} ${name}`);
  }

  pods(selector: string): Promise<Pod[]> {
    return this.list<Pod>('pods', selector);
  }

  statefulSet(name: string): Promise<StatefulSet | undefined> {
    return this.find<StatefulSet>('statefulset', name);
  }

  service(name: string): Promise<Service | undefined> {
    return this.find<Service>('service', name);
  }

  async list<T>(resources: string, selector?: string): Promise<T[]> {
    const proxied = await this.viaProxy<List<T>>(resources, { selector }, `listing ${resources}`);
    if (proxied?.found) return proxied.found.items;
    return (await this.getJson<List<T>>(kubectlArgs.get(this.target, resources, selector ? { selector } : {}), `listing ${resources}`)).items;
  }

  async nodes(): Promise<Node[]> {
    return (await this.getJson<List<Node>>(kubectlArgs.getClusterScoped(this.target, 'nodes'), 'listing nodes')).items;
  }

  /** Every Service in the cluster; undefined when the user may not list them outside the namespace. */
  async servicesInAllNamespaces(): Promise<Service[] | undefined> {
    const result = await this.tryRun(kubectlArgs.getAllNamespaces(this.target, 'services'));
    if (result.exitCode !== 0 && /\(Forbidden\)/.test(result.stderr)) return undefined;
    if (result.exitCode !== 0) throw toolFailure(result, 'listing the Services of every namespace');
    return parseJson<List<Service>>(result.stdout, 'the Services of every namespace').items;
  }

  /** Whether the namespace exists; undefined when the user may not read namespaces (helm will tell). */
  async namespaceExists(name: string): Promise<boolean | undefined> {
    const result = await this.tryRun(kubectlArgs.getClusterScoped(this.target, 'namespace', name));
    if (result.exitCode === 0) return true;
    if (/\(NotFound\)/.test(result.stderr)) return false;
    if (/\(Forbidden\)/.test(result.stderr)) return undefined;
    throw toolFailure(result, `reading namespace ${name}`);
  }

  async storageClasses(): Promise<StorageClass[]> {
    return (await this.getJson<List<StorageClass>>(kubectlArgs.getClusterScoped(this.target, 'storageclasses'), 'listing storage classes')).items;
  }

  /** A watch of the pods as a stream of JSON watch events; ends after `timeoutMs` at the latest. */
  watchPods(selector: string, timeoutMs: number, onStdout: (chunk: string) => void): ToolStream {
    return this.stream(kubectlArgs.watchPods(this.target, selector), timeoutMs, onStdout);
  }

  /** A watch of one StatefulSet as a stream of JSON watch events; ends after `timeoutMs` at the latest. */
  watchStatefulSet(name: string, timeoutMs: number, onStdout: (chunk: string) => void): ToolStream {
    return this.runner.stream(this.call(kubectlArgs.watchStatefulSet(this.target, name), timeoutMs), onStdout);
  }

  async events(object: { name: string; uid?: string }): Promise<KubeEvent[]> {
    return (await this.getJson<List<KubeEvent>>(kubectlArgs.events(this.target, object), `reading the events of ${object.name}`)).items;
  }

  /**
   * Sends `signal` to the process running `argv` in a pod's container. `found` false: no such
   * process. After a SIGKILL of the container's main process the runtime stops the container, and
   * the exec with it, often before it has answered: that exit (137, SIGKILL) is the kill having
   * worked, its PIDs unknown.
   */
  async signalProcess(pod: string, container: string, argv: string[], signal: ProcessSignal): Promise<SignalledProcesses> {
    const result = await this.tryRun(kubectlArgs.signalProcess(this.target, pod, container, argv, signal));
    // What it printed before the kill, when that came through, still says when.
    if (signal === 'SIGKILL' && result.exitCode !== 0 && /exit code 137\b/.test(result.stderr)) return { ...parseSignalled(result.stdout), found: true };
    if (result.exitCode !== 0) throw toolFailure(result, `sending ${signal} to ${argv.join(' ')} in pod ${pod}`);
    return parseSignalled(result.stdout);
  }

  /** SIGKILLs the process running `argv` in a pod's container (see signalProcess). */
  async killProcess(pod: string, container: string, argv: string[]): Promise<{ killed: boolean; pids: number[]; atEpochMs: number | null }> {
    const { found, pids, atEpochMs } = await this.signalProcess(pod, container, argv, 'SIGKILL');
    return { killed: found, pids, atEpochMs };
  }

  /** `cat` of a file inside a pod's container. */
  async readFile(pod: string, container: string, path: string): Promise<string> {
    return (await this.run(kubectlArgs.exec(this.target, pod, container, ['cat', path]), `reading ${path} in pod ${pod}`)).stdout;
  }

  async version(): Promise<KubectlVersion> {
    const json = await this.getJson<{ clientVersion?: { gitVersion?: string }; serverVersion?: { gitVersion?: string } }>(
      kubectlArgs.version(this.target),
      'asking the API server for its version',
    );
    return { client: json.clientVersion?.gitVersion, server: json.serverVersion?.gitVersion };
  }

  /** The API server's version (`v1.20.2`), through the proxy when one is attached. */
  async serverVersion(): Promise<string | undefined> {
    const answer = this.proxied && (await this.proxied.proxy.get('/version').catch(() => undefined));
    if (answer?.statusCode === 200) {
      try {
        const version = (JSON.parse(answer.body) as { gitVersion?: string }).gitVersion;
        if (version) return version;
      } catch {
        // read it with kubectl below
      }
    }
    return (await this.version()).server;
  }

  /**
   * The cluster's identity (see ClusterIdentity): the kubeconfig's context and server, and the
   * kube-system namespace's UID, read through the proxy when one is attached; null when it may not
   * be read (RBAC bound to one namespace) or the read fails.
   */
  async clusterIdentity(): Promise<ClusterIdentity> {
    const [config, uid] = await Promise.all([
      this.getJson<{ 'current-context'?: string; clusters?: { cluster?: { server?: string } }[] }>(
        kubectlArgs.currentNamespace(this.target),
        'reading the kubeconfig',
      ),
      this.kubeSystemUid(),
    ]);
    return { uid, server: config.clusters?.[0]?.cluster?.server ?? null, context: config['current-context'] || null };
  }

  private async kubeSystemUid(): Promise<string | null> {
    type Namespace = { metadata?: { uid?: string } };
    const answer = this.proxied && (await this.proxied.proxy.get('/api/v1/namespaces/kube-system').catch(() => undefined));
    if (answer?.statusCode === 200) {
      try {
        const uid = (JSON.parse(answer.body) as Namespace).metadata?.uid;
        if (uid) return uid;
      } catch {
        // read it with kubectl below
      }
    }
    const result = await this.tryRun(kubectlArgs.getClusterScoped(this.target, 'namespace', 'kube-system'));
    if (result.exitCode !== 0) return null;
    try {
      return (JSON.parse(result.stdout) as Namespace).metadata?.uid ?? null;
    } catch {
      return null;
    }
  }

  async clientVersion(): Promise<string> {
    const json = await this.getJson<{ clientVersion?: { gitVersion?: string } }>(kubectlArgs.clientVersion(), 'reading the kubectl version');
    const version = json.clientVersion?.gitVersion;
    if (!version) throw new LabError('kubectl did not report its version', 'check the kubectl binary');
    return version;
  }

  /** The namespace commands act in: --namespace, else the kubeconfig context's, else "default". */
  async namespace(): Promise<string> {
    if (this.target.namespace) return this.target.namespace;
    if (this.proxied) return this.proxied.namespace;
    const config = await this.getJson<{ contexts?: { context?: { namespace?: string } }[] }>(
      kubectlArgs.currentNamespace(this.target),
      'reading the kubeconfig',
    );
    return config.contexts?.[0]?.context?.namespace || 'default';
  }
}
