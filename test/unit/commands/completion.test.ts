import { describe, expect, it } from 'vitest';
import { runCommand } from '../../support/fake-cluster.js';

const values = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith(':'))
    .map((line) => line.split('\t')[0] ?? '');

describe('k8s-lab completion', () => {
  it.each(['bash', 'zsh', 'fish'])('%s: a script on stdout that asks `k8s-lab complete --` at each Tab; no cluster call', async (shell) => {
    const run = await runCommand(['completion', shell], []);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('k8s-lab complete --');
    expect(run.stdout).toMatch(shell === 'fish' ? /complete -c k8s-lab/ : shell === 'zsh' ? /compdef/ : /complete .*-F/);
  });

  it('a shell it does not know is a usage error: exit 2', async () => {
    const run = await runCommand(['completion', 'tcsh'], []);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✖ .*tcsh.* — see k8s-lab completion --help\n$/);
  });

  it('completes the commands, with watch and completion among them, and not the hidden complete', async () => {
    const run = await runCommand(['complete', '--', ''], []);
    const commands = values(run.stdout);
    for (const command of ['deploy', 'status', 'counters', 'traffic', 'demo-update', 'report', 'teardown', 'doctor', 'watch', 'completion', 'lab'])
      expect(commands).toContain(command);
    expect(commands).not.toContain('complete');
  });

  it("completes a command's flags, and --strategy to the four strategies", async () => {
    const flags = values((await runCommand(['complete', '--', 'demo-update', '--st'], [])).stdout);
    expect(flags).toEqual(expect.arrayContaining(['--strategy', '--step']));
    expect(flags.every((flag) => flag.startsWith('--st'))).toBe(true);
    expect(values((await runCommand(['complete', '--', 'demo-update', '--strategy', ''], [])).stdout)).toEqual(['rolling', 'recreate', 'canary', 'partition']);
    expect(values((await runCommand(['complete', '--', 'watch', '--tr'], [])).stdout)).toEqual(['--traffic']);
  });
});
