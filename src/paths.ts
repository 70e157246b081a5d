import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file runs from src/ (tests) or dist/ (the built CLI), both one level down. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const chartDir = join(packageRoot, 'chart');
export const templatesDir = join(packageRoot, 'templates');
/** Where `npm run tools` unpacks helm and kubectl. */
export const bundledToolsDir = join(packageRoot, '.tools', 'bin');

/** This package's version, for run records and reports. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
