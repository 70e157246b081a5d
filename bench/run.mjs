#!/usr/bin/env node
// k8s-lab benchmarks (issue "Benchmarks"): every figure is a ratio measured in one run on one
// machine, printed and written to bench/RESULTS.md. Needs `npm run build` and, for the cluster
// figures, a cluster in $KUBECONFIG. `node bench/run.mjs startup counters` runs only those.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, buildProbeModule, deployBench, fmt, kubectl, lab, LOCAL_IMAGE, machine, median, peakRss, ratio, root, run } from './lib.mjs';

// BENCH_NAMESPACE lets two invocations (say `memory` and the rest) run side by side.
const NS = process.env.BENCH_NAMESPACE ?? 'k8s-lab-bench';
const sections = {};

sections.startup = async () => {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 41);
  const commands = {
    'node -e ""': ['-e', ''],
    'k8s-lab --help': [join(root, 'bin/k8s-lab.js'), '--help'],
    'k8s-lab counters --help': [join(root, 'bin/k8s-lab.js'), 'counters', '--help'],
  };
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(commands)) times[name].push((await run('node', args)).ms);
  const base = median(times['node -e ""']);
  return {
    title: 'Start-up',
    how: `${runs} runs of each, interleaved; median wall time`,
    rows: Object.keys(commands).map((name) => [
      name,
      fmt(median(times[name])),
      ratio(median(times[name]), base),
      name.startsWith('node') ? '' : '≤ 1.20×',
      name.startsWith('node') ? '' : median(times[name]) / base <= 1.2 ? 'met' : 'missed',
    ]),
  };
};

// `k8s-lab counters` against the lightest thing a user types, `kubectl get pods -o json` of the same
// namespace (target: at most 1.0× at 20 pods), and one `kubectl exec … cat` (the earlier yardstick),
// interleaved in one run. BENCH_COUNTERS_RUNS of each (11 by default: the machine is noisy).
const BEFORE_BIN = process.env.BENCH_BEFORE_BIN;

sections.counters = async () => {
  const rows = [];
  const before = [];
  const runs = Number(process.env.BENCH_COUNTERS_RUNS ?? 11);
  const replicaCounts = (process.env.BENCH_COUNTERS_REPLICAS ?? '2,10,20').split(',').map(Number);
  for (const replicas of replicaCounts) {
    await deployBench(NS, replicas);
    const times = { counters: [], get: [], exec: [], floor: [], before: [] };
    const steps = {
      counters: async () => {
        const result = await lab(['counters', '--namespace', NS, '--json']);
        if (result.code !== 0) throw new Error(result.stderr);
        if (JSON.parse(result.stdout).length !== replicas) throw new Error(`counters read ${result.stdout}`);
        return result.ms;
      },
      get: async () => (await run('kubectl', ['-n', NS, 'get', 'pods', '-o', 'json'])).ms,
      exec: async () => (await run('kubectl', ['-n', NS, 'exec', 'helm-python-0', '-c', 'app', '--', 'cat', '/data/counter.json'])).ms,
      // The least a Node process can do for the same reads (bench/counters-floor.mjs).
      floor: async () => {
        const result = await run('node', [join(root, 'bench', 'counters-floor.mjs'), NS]);
        if (result.code !== 0) throw new Error(result.stderr);
        if (JSON.parse(result.stdout).length !== replicas) throw new Error(`the floor read ${result.stdout}`);
        return result.ms;
      },
      // $BENCH_BEFORE_BIN: another build's bin/k8s-lab.js (an earlier commit's), read in the same turns.
      ...(BEFORE_BIN && {
        before: async () => {
          const result = await run('node', [BEFORE_BIN, 'counters', '--namespace', NS, '--json']);
          if (result.code !== 0) throw new Error(result.stderr);
          return result.ms;
        },
      }),
    };
    // Which goes first turns round each time, so a drift in the machine's load weighs on all three alike.
    const order = Object.keys(steps);
    for (let i = 0; i < runs; i++)
      for (let j = 0; j < order.length; j++) {
        const name = order[(i + j) % order.length];
        times[name].push(await steps[name]());
      }
    const [c, g, e, f] = [median(times.counters), median(times.get), median(times.exec), median(times.floor)];
    if (BEFORE_BIN) {
      const b = median(times.before);
      before.push([`${replicas} pods`, fmt(b), `${(b / g).toFixed(2)}×`, fmt(c), `${(c / g).toFixed(2)}×`, `${(c / b).toFixed(2)}×`]);
    }
    rows.push([
      `${replicas} pods`,
      fmt(c),
      fmt(g),
      `${(c / g).toFixed(2)}×`,
      fmt(e),
      `${(c / e).toFixed(2)}×`,
      fmt(f),
      `${(f / g).toFixed(2)}×`,
      replicas === 20 ? '≤ 1.00× get pods' : '',
      replicas === 20 ? (c / g <= 1 ? 'met' : 'missed') : '',
    ]);
  }
  await deployBench(NS, 2);
  return {
    title: 'Counters at scale',
    how: `\`k8s-lab counters --json\` vs one \`kubectl get pods -o json\` of the same namespace, one \`kubectl exec … cat /data/counter.json\` and the floor in Node (bench/counters-floor.mjs: the same reads, by hand, nothing else), ${runs} of each interleaved (which goes first turning round), median wall time`,
    headers: ['pods', 'k8s-lab counters', 'kubectl get pods -o json', 'ratio', 'one kubectl exec', 'ratio', 'floor in Node', 'floor vs get pods', 'target', ''],
    rows,
    ...(BEFORE_BIN && {
      after: `Against the build of ${BEFORE_BIN} (counters, same turns): | pods | before | vs get pods | now | vs get pods | now / before |\n${before.map((r) => `| ${r.join(' | ')} |`).join('\n')}`,
    }),
  };
};

sections.overhead = async () => {
  const url = await deployBench(NS, 2);
  let version = JSON.parse(kubectl(['-n', NS, 'get', 'statefulset', 'helm-python', '-o', 'json'])).spec.template.metadata.labels['app.kubernetes.io/version'];
  const next = () => (version = `v${Number(version.replace(/\D/g, '') || 1) + 1}`);
  const runs = Number(process.env.BENCH_OVERHEAD_RUNS ?? 5);
  const plain = [];
  const demo = [];
  const own = [];
  // How long removing each pod took, deleting → deleted as the demo's pod watch saw it (the chart's
  // preStop drain, then the kubelet's clean-up): both sides wait for the same.
  const removals = [];
  const plainRun = async () => {
    const started = performance.now();
    const upgrade = await run(join(root, '.tools/bin/helm'), [
      'upgrade',
      'helm-python',
      join(root, 'chart'),
      '--namespace',
      NS,
      '--reuse-values',
      '--set-string',
      `app.version=${next()}`,
    ]);
    const rollout = await run('kubectl', ['-n', NS, 'rollout', 'status', 'statefulset/helm-python', '--timeout=600s']);
    if (upgrade.code || rollout.code) throw new Error(upgrade.stderr + rollout.stderr);
    plain.push(performance.now() - started);
  };
  const demoRun = async () => {
    const result = await lab([
      'demo-update',
      '--namespace',
      NS,
      '--strategy',
      'rolling',
      '--to',
      next(),
      '--url',
      url,
      '--record-dir',
      '/tmp/k8s-lab-bench-runs',
      '--json',
    ]);
    if (result.code) throw new Error(result.stderr);
    demo.push(result.ms);
    const record = JSON.parse(result.stdout);
    // What k8s-lab adds around the update itself: everything but the rollout phase (helm upgrade + pods replaced).
    const rolloutPhase = record.phases.find((p) => p.name === 'rollout');
    own.push(result.ms - (rolloutPhase.end - rolloutPhase.start));
    for (const e of record.podEvents.filter((e) => e.type === 'deleting')) {
      const gone = record.podEvents.find((d) => d.pod === e.pod && d.type === 'deleted' && d.t >= e.t);
      if (gone) removals.push(gone.t - e.t);
    }
  };
  // Alternating which goes first, so a drift in the node's speed weighs on both alike.
  for (let i = 0; i < runs; i++) for (const step of i % 2 ? [demoRun, plainRun] : [plainRun, demoRun]) await step();
  const r = median(demo) / median(plain);
  const spread = `${fmt(Math.min(...removals))} to ${fmt(Math.max(...removals))}`;
  return {
    title: 'Demo overhead',
    how: `\`demo-update --strategy rolling\` vs \`helm upgrade --reuse-values\` + \`kubectl rollout status\` for the same change, ${runs} of each, back to back (which goes first alternating), median. Most of either is the node replacing the pods: removing one pod (the chart's 5 s preStop drain, then the kubelet's clean-up) took ${spread} in the demos' own pod watch, hence the spread between runs; the demo adds its 1 s baseline and 1 s settle of probe traffic and its reads before and after (the last row)`,
    headers: ['what', 'median', 'each run', 'ratio', 'target', ''],
    rows: [
      ['helm upgrade + kubectl rollout status', fmt(median(plain)), plain.map(fmt).join(', '), '1.00×', '', ''],
      ['k8s-lab demo-update --strategy rolling', fmt(median(demo)), demo.map(fmt).join(', '), `${r.toFixed(2)}×`, '≤ 1.15×', r <= 1.15 ? 'met' : 'missed'],
      [
        '… of which outside the rollout phase',
        fmt(median(own)),
        own.map(fmt).join(', '),
        `${(median(own) / median(plain)).toFixed(2)}× of the plain update`,
        '',
        '',
      ],
    ],
  };
};

sections.probe = async () => {
  const url = await deployBench(NS, 2);
  const seconds = Number(process.env.BENCH_PROBE_SECONDS ?? 30);
  const result = await run('node', [join(root, 'bench/probe-only.mjs'), url, String(seconds)], { env: { BENCH_PROBE_MODULE: await buildProbeModule() } });
  if (result.code) throw new Error(result.stderr);
  const { requests, perSecond, cpuPercent, failures } = JSON.parse(result.stdout);
  return {
    title: 'Probe',
    how: `the demos' Probe alone for ${seconds} s at its default 100 ms interval against the Service; CPU = user+system time of the process over wall time`,
    headers: ['figure', 'measured', 'target', ''],
    rows: [
      ['requests per second', `${perSecond.toFixed(1)} (${requests} sent, ${failures} failed)`, '≥ 10/s', perSecond >= 10 ? 'met' : 'missed'],
      ['CPU of one core', `${cpuPercent.toFixed(1)} %`, '≤ 5 %', cpuPercent <= 5 ? 'met' : 'missed'],
    ],
  };
};

sections.scale = async () => {
  const url = await deployBench(NS, 10);
  const rows = [];
  for (const strategy of ['rolling', 'recreate', 'canary', 'partition']) {
    const measured = await peakRss('node', [
      join(root, 'bin/k8s-lab.js'),
      'demo-update',
      '--namespace',
      NS,
      '--strategy',
      strategy,
      '--url',
      url,
      '--record-dir',
      '/tmp/k8s-lab-bench-runs',
      '--json',
      '--timeout',
      '15m',
    ]);
    if (!measured.stdout.trim()) throw new Error(`demo-update --strategy ${strategy} printed no record: ${measured.stderr.slice(-800)}`);
    const record = JSON.parse(measured.stdout);
    const zero = strategy !== 'recreate';
    rows.push([
      strategy,
      record.verdict,
      fmt(record.durationMs),
      `${record.probe.requests} / ${record.probe.failures}`,
      fmt(record.probe.longestOutageMs),
      `${measured.rssMb.toFixed(0)} MB`,
      zero ? (record.verdict === 'passed' && record.probe.failures === 0 ? 'met' : 'missed') : record.verdict === 'passed' ? 'completes' : 'missed',
    ]);
  }
  await deployBench(NS, 2);
  return {
    title: 'Every demo at 10 replicas',
    how: 'each strategy once on 10 replicas; peak RSS of the k8s-lab process (GNU time); target: completes, zero failed probes for rolling/canary/partition, ≤ 150 MB',
    headers: ['strategy', 'verdict', 'duration', 'probe requests / failed', 'longest outage', 'peak RSS', ''],
    rows,
  };
};

sections.memory = async () => {
  const url = await deployBench(NS, 2);
  const minutes = Number(process.env.BENCH_MEMORY_MINUTES ?? 30);
  const result = await run('node', ['--expose-gc', join(root, 'bench/probe-only.mjs'), url, String(minutes * 60), '--rss'], {
    env: { BENCH_PROBE_MODULE: await buildProbeModule() },
  });
  if (result.code) throw new Error(result.stderr);
  const { memory, requests, failures } = JSON.parse(result.stdout);
  const every = Math.max(1, Math.floor(memory.length / 6));
  const marks = memory.filter((_, i) => i % every === 0 || i === memory.length - 1);
  // The probe keeps every sample for the run record: the one thing meant to grow with the run's length.
  // From minute 1 on, past the first minute's warm-up (modules, sockets, JIT).
  const [first, last] = [memory.find((m) => m.minute >= 1) ?? memory[0], memory.at(-1)];
  const perSample = ((last.heapMb - first.heapMb) * 2 ** 20) / Math.max(1, (requests * (last.minute - first.minute)) / minutes);
  return {
    title: `Memory of a ${minutes}-minute probe run`,
    how: `RSS and V8 heap in use of a process running the Probe at 100 ms, sampled every minute right after a full GC (\`node --expose-gc\`); ${requests} requests, ${failures} failed. The heap grows by ~${Math.round(perSample)} bytes a request: the samples the run record keeps (time, status, latency, pod, version)`,
    headers: ['minute', 'RSS', 'heap used'],
    rows: marks.map((m, i) => [i === marks.length - 1 ? `${m.minute} (end)` : String(m.minute), `${m.rssMb.toFixed(1)} MB`, `${m.heapMb.toFixed(1)} MB`]),
  };
};

/** utime + stime of a process and its live descendants (kubectl watches), in ms, from /proc. */
function treeCpuMs(pid) {
  const tick = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const own = (p) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * tick;
  };
  const children = (p) => readdirSync(`/proc/${p}/task`).flatMap((task) => readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(' ').filter(Boolean));
  const walk = (p) => {
    try {
      const mine = own(p);
      const kids = children(p).map(walk);
      return { node: mine, all: mine + kids.reduce((sum, k) => sum + k.all, 0) };
    } catch {
      return { node: 0, all: 0 };
    }
  };
  return walk(pid);
}

// The live panel's cost: `k8s-lab watch --traffic` (the panel redrawn 4 times a second, a watch of
// the pods and one of the StatefulSet, the probe at 10 requests/s) in a real terminal (tmux, 80x40),
// CPU of the k8s-lab process and of the whole tree (its kubectl watches) over 30 s of steady state.
sections.panel = async () => {
  const rows = [];
  const seconds = Number(process.env.BENCH_PANEL_SECONDS ?? 30);
  const nodePort = process.env.BENCH_NODEPORT ?? 'null';
  const socket = `k8s-lab-bench-${process.pid}`;
  const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  for (const replicas of [2, 20]) {
    const deployed = await lab([
      'deploy',
      '--namespace',
      NS,
      '--image',
      LOCAL_IMAGE,
      '--replicas',
      String(replicas),
      '--set',
      `service.nodePort=${nodePort}`,
      '--timeout',
      '10m',
    ]);
    if (deployed.code !== 0) throw new Error(deployed.stderr);
    for (const traffic of [false, true]) {
      const pidFile = join(tmpdir(), `${socket}.pid`);
      const args = ['watch', '--namespace', NS, '--for', `${seconds + 10}s`, ...(traffic ? ['--traffic'] : [])];
      tmux('new-session', '-d', '-s', 'bench', '-x', '80', '-y', '40', `env -u CI node ${bin} ${args.join(' ')} & echo $! > ${pidFile}; wait; sleep 30`);
      await new Promise((r) => setTimeout(r, 5000));
      const pid = readFileSync(pidFile, 'utf8').trim();
      const before = treeCpuMs(pid);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = treeCpuMs(pid);
      const wall = performance.now() - t0;
      const screen = tmux('capture-pane', '-p', '-t', 'bench');
      tmux('kill-server');
      if (!/^probe: /m.test(screen)) throw new Error(`no panel on screen:\n${screen}`);
      const node = ((after.node - before.node) / wall) * 100;
      const all = ((after.all - before.all) / wall) * 100;
      const target = replicas === 2 ? 5 : 10;
      rows.push([
        `${replicas} pods${traffic ? ', --traffic' : ''}`,
        `${node.toFixed(1)} %`,
        `${all.toFixed(1)} %`,
        `≤ ${target} %`,
        all <= target ? 'met' : 'missed',
      ]);
    }
  }
  return {
    title: 'Live panel CPU',
    how: `\`k8s-lab watch\` in tmux (80x40, the panel redrawn every 250 ms), CPU time over ${seconds} s after the first 5 s, as a share of one core: the k8s-lab process, and with its kubectl watch processes`,
    headers: ['run', 'k8s-lab', 'with kubectl', 'target', ''],
    rows,
  };
};

/** State, exit code and CPU times (ms) of one process from /proc/<pid>/stat; a zombie still reports its own and its reaped children's. */
function procTimes(pid) {
  const tick = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // From field 3 (state) on: utime 14, stime 15, cutime 16, cstime 17, exit_code 52 (proc(5)).
  const at = (n) => Number(fields[n - 3]);
  return { state: fields[0], waitStatus: at(52), node: (at(14) + at(15)) * tick, all: (at(14) + at(15) + at(16) + at(17)) * tick };
}

/**
 * Runs `k8s-lab <args>` under a parent that never reaps it (`sh -c 'node … & exec sleep'`), so once it has
 * ended its /proc entry stays, as a zombie, with its CPU time and that of every child it waited for
 * (kubectl, helm): the whole run, to its last tick, with no sampling. In tmux (80x40, a real terminal) or
 * off a terminal (output to files). Returns the CPU times, the wall time from launch to exit, and what it printed.
 */
async function cpuOfRun(args, { terminal }) {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-bench-cpu-'));
  const quote = (a) => `'${String(a).replaceAll("'", `'\\''`)}'`;
  const command = ['node', bin, ...args].map(quote).join(' ');
  const pidFile = join(dir, 'pid');
  const socket = `k8s-lab-bench-${process.pid}-demo`;
  const tmux = (...a) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
  const started = performance.now();
  let holder;
  let pid = '';
  if (terminal) {
    tmux('new-session', '-d', '-s', 'bench', '-x', '80', '-y', '40', `env -u CI sh -c ${quote(`${command} & echo $! > ${pidFile}; exec sleep 100000`)}`);
  } else {
    holder = spawn('sh', ['-c', `${command} > ${dir}/stdout 2> ${dir}/stderr & echo $! > ${pidFile}; exec sleep 100000`], { stdio: 'ignore' });
  }
  try {
    while (!pid) {
      await new Promise((r) => setTimeout(r, 20));
      pid = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
    }
    let times = procTimes(pid);
    while (times.state !== 'Z') {
      await new Promise((r) => setTimeout(r, 100));
      times = procTimes(pid);
    }
    const wall = performance.now() - started;
    // The last frame stays on screen; with 200 lines of history in case anything printed after it scrolled it up.
    const screen = terminal ? tmux('capture-pane', '-p', '-S', '-200', '-t', 'bench') : '';
    const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
    return { ...times, wall, screen, stdout: read('stdout'), stderr: read('stderr') };
  } finally {
    // On an error before the end: interrupt the demo as Ctrl-C would (it puts the release back as it was).
    try {
      if (pid && procTimes(pid).state !== 'Z') process.kill(Number(pid), 'SIGINT');
    } catch {
      // already gone
    }
    if (terminal) tmux('kill-server');
    else holder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The live panel while a demo runs: `k8s-lab demo-update --strategy rolling` in tmux (80x40, the panel
// redrawn every 250 ms while pods change and the probe sends 10 requests/s), against the same demo with
// `--json` off a terminal (no panel), back to back on the same release: the difference is the panel's own cost.
sections['panel-demo'] = async () => {
  const rows = [];
  const runs = Number(process.env.BENCH_PANEL_DEMO_RUNS ?? 1);
  const replicaCounts = (process.env.BENCH_PANEL_DEMO_REPLICAS ?? '2,20').split(',').map(Number);
  for (const replicas of replicaCounts) {
    const url = await deployBench(NS, replicas);
    const measured = { panel: [], json: [] };
    const demo = async (mode) => {
      const args = ['demo-update', '--namespace', NS, '--strategy', 'rolling', '--url', url, '--record-dir', '/tmp/k8s-lab-bench-runs', '--timeout', '15m'];
      const result = await cpuOfRun(mode === 'json' ? [...args, '--json'] : args, { terminal: mode === 'panel' });
      if (result.waitStatus !== 0)
        throw new Error(`demo-update (${mode}) ended with wait status ${result.waitStatus}:\n${result.screen || result.stderr.slice(-800)}`);
      if (mode === 'panel' && !/^probe: [1-9]\d* sent/m.test(result.screen)) throw new Error(`no panel on screen:\n${result.screen}`);
      if (mode === 'json') JSON.parse(result.stdout);
      measured[mode].push({ node: (result.node / result.wall) * 100, all: (result.all / result.wall) * 100, wall: result.wall });
    };
    // Alternating which goes first, so a drift in the machine's speed weighs on both alike.
    for (let i = 0; i < runs; i++) for (const mode of i % 2 ? ['json', 'panel'] : ['panel', 'json']) await demo(mode);
    const share = (mode, key) => median(measured[mode].map((m) => m[key]));
    const points = (key) => share('panel', key) - share('json', key);
    const signed = (x) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(1)} points`;
    const target = replicas === 2 ? 5 : 10;
    const walls = (mode) => measured[mode].map((m) => fmt(m.wall)).join(', ');
    rows.push(
      [
        `${replicas} pods, panel (tmux)`,
        walls('panel'),
        `${share('panel', 'node').toFixed(1)} %`,
        `${share('panel', 'all').toFixed(1)} %`,
        `≤ ${target} %`,
        share('panel', 'all') <= target ? 'met' : 'missed',
      ],
      [`${replicas} pods, --json (no panel)`, walls('json'), `${share('json', 'node').toFixed(1)} %`, `${share('json', 'all').toFixed(1)} %`, '', ''],
      [
        `${replicas} pods, the panel's share`,
        '',
        `${signed(points('node'))} (${ratio(share('panel', 'node'), share('json', 'node'))})`,
        `${signed(points('all'))} (${ratio(share('panel', 'all'), share('json', 'all'))})`,
        '',
        '',
      ],
    );
  }
  await deployBench(NS, 2);
  return {
    title: 'Live panel CPU during a demo',
    how: `\`k8s-lab demo-update --strategy rolling\` in tmux (80x40, the panel live while the pods are replaced and the probe runs) vs the same demo with \`--json\` off a terminal, ${runs} of each per replica count, back to back (which goes first alternating), median. CPU = user+system time of the k8s-lab process over its whole run (read from /proc once it has exited), divided by its wall time, as a share of one core: the process alone, and with the child processes it waited for (kubectl, helm). The panel's share is the difference (and ratio) between the two`,
    headers: ['run', 'wall time', 'k8s-lab', 'with kubectl, helm', 'target', ''],
    rows,
  };
};

const table = (headers, rows) =>
  [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(sections);
const results = [];
for (const name of wanted) {
  process.stderr.write(`== ${name}\n`);
  const section = await sections[name]();
  const headers = section.headers ?? ['command', 'median', 'vs bare node', 'target', ''];
  const text = `## ${section.title}\n\n${section.how}.\n\n${table(headers, section.rows)}\n${section.after ? `\n${section.after}\n` : ''}`;
  process.stdout.write(`${text}\n`);
  results.push(text);
}
if (
  wanted.includes('panel') ||
  wanted.includes('panel-demo') ||
  wanted.includes('counters') ||
  wanted.includes('scale') ||
  wanted.includes('overhead') ||
  wanted.includes('probe') ||
  wanted.includes('memory')
) {
  await lab(['teardown', '--namespace', NS, '--delete-data', '--yes']);
}
const m = machine();
let server = 'no cluster';
try {
  server = JSON.parse(kubectl(['version', '-o', 'json'])).serverVersion.gitVersion;
} catch {
  // no cluster: the start-up figures need none
}
const helmVersion = execFileSync(join(root, '.tools/bin/helm'), ['version', '--short'], { encoding: 'utf8' }).trim();
const kubectlVersion = JSON.parse(kubectl(['version', '--client', '-o', 'json'])).clientVersion.gitVersion;
const header = `# Benchmark results\n\nMeasured by \`node bench/run.mjs ${wanted.join(' ')}\` on ${new Date().toISOString().slice(0, 10)}: ${m.cpus} CPUs, ${m.memory}, Linux ${m.kernel}, Node ${m.node}, Helm ${helmVersion}, kubectl ${kubectlVersion}; cluster: Kubernetes ${server} from test/cluster/up (single node), image ${LOCAL_IMAGE}. Ratios are measured in one run on the same machine.\n`;
writeFileSync(process.env.BENCH_RESULTS ?? join(root, 'bench', 'RESULTS.md'), `${header}\n${results.join('\n')}`);
