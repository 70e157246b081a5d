import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { bundledToolsDir } from './paths.js';

export type ToolName = 'helm' | 'kubectl';

/**
 * The file names a tool may have: `helm` on Linux and macOS; on Windows `helm.exe` (and whatever
 * else PATHEXT lists, .exe first), since Windows finds programs by extension.
 */
export function toolFileNames(name: ToolName, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform !== 'win32') return [name];
  const extensions = (env.PATHEXT ?? env.Pathext ?? '.COM;.EXE;.BAT;.CMD')
    .split(';')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e.startsWith('.'));
  return [...new Set(['.exe', ...extensions])].map((ext) => name + ext);
}

/**
 * Where a tool's binary is: $K8S_LAB_HELM / $K8S_LAB_KUBECTL, else the first on PATH, else the one
 * `npm run tools` fetched. Falls back to the bare name so that running it reports "not found".
 * PATH is split with the platform's delimiter (`;` on Windows); on Windows the names carry their
 * extension (`kubectl.exe`), and Windows has no execute bit: there a file that is there will do.
 */
export function locateTool(name: ToolName, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env[`K8S_LAB_${name.toUpperCase()}`];
  if (override) return override;
  const path = env.PATH ?? (platform === 'win32' ? env.Path : undefined) ?? '';
  const dirs = [...path.split(platform === 'win32' ? ';' : delimiter).filter(Boolean), bundledToolsDir];
  for (const dir of dirs) {
    for (const file of toolFileNames(name, platform, env)) {
      const candidate = join(dir, file);
      if (isExecutable(candidate, platform)) return candidate;
    }
  }
  return name;
}

function isExecutable(path: string, platform: NodeJS.Platform): boolean {
  try {
    accessSync(path, platform === 'win32' ? constants.F_OK : constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
