import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures', import.meta.url));

/** A real helm/kubectl output recorded on the local cluster (test/fixtures). */
export function fixture(name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

export function fixtureJson<T>(name: string): T {
  return JSON.parse(fixture(name)) as T;
}
