#!/usr/bin/env node
// Checks the imports of src/: no cycle, and no module importing from a layer above its own.
// Type-only and dynamic imports count too: they are dependencies all the same.
// Usage: node scripts/check-imports.mjs [src-dir]   (exit 1 and one line per problem when there is one)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));

// Lowest first. A module may import from its own layer or any below it.
const LAYERS = [
  ['base', /^(errors|paths|tools|interrupt|concurrency|dependencies|options|chart-schema|output-path|limits|defaults)\.ts$|^(ui|process)\//],
  ['adapters', /^adapters\//],
  ['lab', /^lab-context\.ts$/],
  ['reads', /^(counters|overview|rollout|features|governing-service)\.ts$/],
  ['probe', /^probe\//],
  ['events', /^events\.ts$/],
  ['live', /^live\//],
  ['preflight', /^preflight\.ts$/],
  ['demos', /^demos\//],
  ['report', /^report\//],
  ['commands', /^commands\//],
  ['cli', /^cli\.ts$/],
];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

const graph = new Map();
for (const file of files(src)) {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(IMPORT)].map((m) => relative(src, resolve(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts'))));
  graph.set(relative(src, file), [...new Set(targets)]);
}

const problems = [];
const layerOf = (module) => LAYERS.findIndex(([, pattern]) => pattern.test(module));
for (const [from, targets] of graph) {
  const own = layerOf(from);
  if (own < 0) problems.push(`${from}: in no layer (add it to LAYERS in scripts/check-imports.mjs)`);
  for (const to of targets) {
    if (!graph.has(to)) problems.push(`${from}: imports ${to}, which is not in src/`);
    else if (own >= 0 && layerOf(to) > own) problems.push(`${from} (${LAYERS[own][0]}) imports ${to} (${LAYERS[layerOf(to)]?.[0]}): a layer above`);
  }
}

// Cycles: a depth-first search that reports each back edge's loop once.
const state = new Map();
const stack = [];
const seen = new Set();
function visit(module) {
  state.set(module, 'open');
  stack.push(module);
  for (const next of graph.get(module) ?? []) {
    if (state.get(next) === 'open') {
      const cycle = [...stack.slice(stack.indexOf(next)), next].join(' → ');
      if (!seen.has(cycle)) problems.push(`cycle: ${cycle}`);
      seen.add(cycle);
    } else if (!state.has(next) && graph.has(next)) visit(next);
  }
  stack.pop();
  state.set(module, 'done');
}
for (const module of [...graph.keys()].sort()) if (!state.has(module)) visit(module);

if (problems.length) {
  for (const problem of problems) console.error(problem);
  console.error(`${problems.length} import problem${problems.length > 1 ? 's' : ''} in src/ (${graph.size} modules)`);
  process.exitCode = 1;
} else {
  console.log(`imports ok: ${graph.size} modules, no cycle, no import from a layer above`);
}
