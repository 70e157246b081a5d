#!/usr/bin/env node
// Measures every function of src/ (declarations, methods, accessors, arrow functions, function
// expressions) in lines, from its first line to its last, nested functions included, as read by the
// TypeScript compiler's own parser. Prints the longest first, those of `--over` lines or more.
// Usage: node scripts/function-lengths.mjs [--over N] [--max N] [src-dir]
//   --over N  list functions of N lines or more (default 60)
//   --max N   exit 1 when a function is longer than N lines (the project's limit is 100)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const { values, positionals } = parseArgs({ options: { over: { type: 'string', default: '60' }, max: { type: 'string' } }, allowPositionals: true });
const src = resolve(positionals[0] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The name a reader would look for: its own, its variable's or property's, else `(anonymous)`. */
function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name))
    return parent.name.text;
  return '(anonymous)';
}

/** Every function of a file with its length in lines. */
export function functionLengths(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ name: nameOf(node), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const all = files(src).flatMap((file) => functionLengths(file, readFileSync(file, 'utf8')).map((f) => ({ ...f, file: relative(src, file) })));
all.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
const over = Number(values.over);
for (const f of all.filter((f) => f.lines >= over)) console.log(`${String(f.lines).padStart(4)}  ${f.name}  ${f.file}:${f.line}`);
const longest = all[0];
console.log(`${all.length} functions in ${src}; longest ${longest ? `${longest.lines} lines (${longest.name})` : 'none'}`);
if (values.max !== undefined) {
  const tooLong = all.filter((f) => f.lines > Number(values.max));
  if (tooLong.length) {
    console.error(`${tooLong.length} function${tooLong.length > 1 ? 's' : ''} over ${values.max} lines`);
    process.exitCode = 1;
  }
}
