import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StepGate } from '../../src/live/step.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StepGate (--step)', () => {
  it('goes on at an Enter pressed while it waits, not at one pressed before (while a phase ran)', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const gate = new StepGate(stdin, () => {});
    gate.start();
    stdin.write('\r');
    await tick();
    let passed = false;
    const waited = gate.wait().then(() => (passed = true));
    await tick();
    expect(passed).toBe(false);
    stdin.write('\r');
    await waited;
    expect(passed).toBe(true);
    gate.stop();
  });

  it('passes Ctrl-C on (raw mode delivers it as a byte), and a wait ends with the interruption', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    let interrupted = 0;
    const gate = new StepGate(stdin, () => (interrupted += 1));
    const controller = new AbortController();
    gate.start();
    const waited = gate.wait(controller.signal);
    stdin.write('\u0003');
    await tick();
    expect(interrupted).toBe(1);
    controller.abort(new Error('interrupted (SIGINT)'));
    await expect(waited).rejects.toThrow('interrupted (SIGINT)');
    gate.stop();
  });
});
