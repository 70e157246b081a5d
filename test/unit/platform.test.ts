// Platform fallbacks that are not about the probe or kubectl proxy (those are in probe-stats and
// pod-exec tests): finding helm/kubectl on Windows, naming a tool from a Windows path, the signals
// that stop k8s-lab, and how tools are spawned.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolFailure } from '../../src/adapters/failure.js';
import { stopSignals } from '../../src/cli.js';
import { createRunner, formatCall, spawnOptions, spawnPlan, type ToolResult } from '../../src/process/runner.js';
import { locateTool, toolFileNames } from '../../src/tools.js';

describe('locateTool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-tools-'));
  const bin = (name: string, mode = 0o755) => {
    const path = join(dir, name);
    writeFileSync(path, '');
    chmodSync(path, mode);
    return path;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on Windows finds kubectl.exe on a ;-separated PATH, where the bare name is not there', () => {
    const exe = bin('kubectl.exe', 0o644);
    expect(locateTool('kubectl', { PATH: `C:\\nowhere;${dir}` }, 'win32')).toBe(join(dir, 'kubectl.exe'));
    // The same directory on Linux: no file named kubectl there, so not from it.
    expect(locateTool('kubectl', { PATH: dir }, 'linux').startsWith(dir)).toBe(false);
    rmSync(exe);
  });

  it('on Windows takes Path when PATH is not set, and a file without an execute bit', () => {
    bin('helm.exe', 0o644);
    expect(locateTool('helm', { Path: dir }, 'win32')).toBe(join(dir, 'helm.exe'));
  });

  it('on Linux needs the execute bit, and skips a directory of that name', () => {
    const other = mkdtempSync(join(tmpdir(), 'k8s-lab-tools-'));
    try {
      writeFileSync(join(other, 'helm'), '');
      chmodSync(join(other, 'helm'), 0o644);
      expect(locateTool('helm', { PATH: other }, 'linux')).not.toBe(join(other, 'helm'));
      chmodSync(join(other, 'helm'), 0o755);
      expect(locateTool('helm', { PATH: other }, 'linux')).toBe(join(other, 'helm'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('toolFileNames: .exe first, then PATHEXT, on Windows only', () => {
    expect(toolFileNames('helm', 'linux', {})).toEqual(['helm']);
    expect(toolFileNames('helm', 'darwin', { PATHEXT: '.EXE' })).toEqual(['helm']);
    expect(toolFileNames('helm', 'win32', { PATHEXT: '.COM;.EXE;.BAT;.CMD' })).toEqual(['helm.exe', 'helm.com', 'helm.bat', 'helm.cmd']);
    expect(toolFileNames('kubectl', 'win32', {})).toEqual(['kubectl.exe', 'kubectl.com', 'kubectl.bat', 'kubectl.cmd']);
  });

  it('an override is taken as it is, on any platform', () => {
    expect(locateTool('helm', { K8S_LAB_HELM: 'C:\\tools\\helm.exe' }, 'win32')).toBe('C:\\tools\\helm.exe');
  });
});

describe('toolFailure names the tool from a Windows path too', () => {
  const result = (bin: string): ToolResult => ({
    call: { bin, args: ['version'], timeoutMs: 1000 },
    exitCode: 127,
    stdout: '',
    stderr: '',
    timedOut: false,
    notFound: true,
    durationMs: 1,
  });
  it.each([
    ['C:\\Program Files\\Helm\\helm.exe', 'helm'],
    ['C:\\tools\\kubectl.exe', 'kubectl'],
    ['/usr/local/bin/kubectl', 'kubectl'],
  ])('%s → %s', (bin, tool) => {
    expect(toolFailure(result(bin), 'x').message).toBe(`${tool} not found (looked for ${bin})`);
  });
});

describe('stopSignals', () => {
  it('SIGINT and SIGTERM on Linux and macOS; SIGINT and SIGBREAK (Ctrl-Break) on Windows, which never delivers SIGTERM', () => {
    expect(stopSignals('linux')).toEqual(['SIGINT', 'SIGTERM']);
    expect(stopSignals('darwin')).toEqual(['SIGINT', 'SIGTERM']);
    expect(stopSignals('win32')).toEqual(['SIGINT', 'SIGBREAK']);
  });
});

describe('spawnOptions', () => {
  it('a process group of its own everywhere (Windows: a new process group, no console window)', () => {
    expect(spawnOptions('linux')).toEqual({ detached: true, windowsHide: false });
    expect(spawnOptions('win32')).toEqual({ detached: true, windowsHide: true });
  });
});

describe('Windows: batch-file tools and the quoting users copy', () => {
  it('runs a .cmd through cmd.exe, each argument quoted and its metacharacters escaped twice, passed verbatim', () => {
    const plan = spawnPlan({ bin: 'C:\\tools\\kubectl.cmd', args: ['get', 'pods', '--selector', 'a=b,c=d'] }, 'win32', {
      ComSpec: 'C:\\Windows\\system32\\cmd.exe',
    });
    expect(plan).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"C:\\tools\\kubectl.cmd ^^^"get^^^" ^^^"pods^^^" ^^^"--selector^^^" ^^^"a=b^^^,c=d^^^""'],
      windowsVerbatimArguments: true,
    });
    // A JSON patch: its quotes become \" for the program, and each " and ^ is escaped for cmd.exe twice.
    const patch = spawnPlan({ bin: 'helm.BAT', args: ['{"a":1}'] }, 'win32', {});
    expect(patch.file).toBe('cmd.exe');
    expect(patch.args[3]).toBe('"helm.BAT ^^^"{\\^^^"a\\^^^":1}^^^""');
  });

  it('spawns an .exe, and anything on Linux or macOS, as it is', () => {
    const call = { bin: 'C:\\tools\\kubectl.exe', args: ['get', 'pods', 'a b'] };
    expect(spawnPlan(call, 'win32', {})).toEqual({ file: call.bin, args: call.args });
    expect(spawnPlan({ bin: '/usr/bin/kubectl.cmd', args: ['x'] }, 'linux', {})).toEqual({ file: '/usr/bin/kubectl.cmd', args: ['x'] });
  });

  it('refuses to pass a line break to a batch file, without starting anything, and says what to do', async () => {
    const echoed: string[] = [];
    const runner = createRunner({ platform: 'win32', echo: (line) => echoed.push(line) });
    const result = await runner.run({ bin: 'C:\\tools\\kubectl.cmd', args: ['exec', 'p', '--', 'python3', '-c', 'import os\nprint(1)'], timeoutMs: 1000 });
    expect(result).toMatchObject({ exitCode: 1, notFound: false, durationMs: 0 });
    expect(result.stderr).toBe(
      'C:\\tools\\kubectl.cmd is a batch file, which cannot be passed an argument with a line break: point K8S_LAB_KUBECTL at the .exe it runs\n',
    );
    // --verbose shows it the cmd.exe way.
    expect(echoed[0]).toBe('> C:\\tools\\kubectl.cmd exec p -- python3 -c "import os\nprint(1)"');
  });

  it('prints --dry-run and --verbose lines with cmd.exe quoting on Windows, POSIX quoting elsewhere', () => {
    const call = { bin: 'C:\\Program Files\\helm\\helm.exe', args: ['upgrade', '--set', 'a=b c', '--patch', '{"x":"y"}', 'C:\\my dir\\', "it's"] };
    expect(formatCall(call, 'win32')).toBe('"C:\\Program Files\\helm\\helm.exe" upgrade --set "a=b c" --patch "{\\"x\\":\\"y\\"}" "C:\\my dir\\\\" "it\'s"');
    expect(formatCall(call, 'linux')).toBe("'C:\\Program Files\\helm\\helm.exe' upgrade --set 'a=b c' --patch '{\"x\":\"y\"}' 'C:\\my dir\\' 'it'\\''s'");
  });
});
