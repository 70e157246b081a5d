import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { bundledToolsDir } from './paths.js';

export type ToolName = 'helm' | 'kubectl';

/**
 * Where a tool's binary is: $K8S_LAB_HELM / $K8S_LAB_KUBECTL, else the first on PATH, else the one
 * `npm run tools` fetched. Falls back to the bare name so that running it reports "not found".
 */
export function locateTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[`K8S_LAB_${name.toUpperCase()}`];
  if (override) return override;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), bundledToolsDir];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return name;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
