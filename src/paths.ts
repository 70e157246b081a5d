import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file runs from src/ (tests) or dist/ (the built CLI), both one level down. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const chartDir = join(packageRoot, 'chart');
export const templatesDir = join(packageRoot, 'templates');
/** Where `npm run tools` unpacks helm and kubectl. */
export const bundledToolsDir = join(packageRoot, '.tools', 'bin');
