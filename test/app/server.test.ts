// chart/files/server.py run as a local python3 process on a temp dir: the HTTP contract,
// persistence, atomic and serialized writes, graceful and abrupt shutdown.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, freePort, httpGet, makeDataDir, sleep, spawnServer, startLoad, startServer, stopServer, waitFor, type RunningServer } from './server.js';

function counterFile(dataDir: string): string {
  return readFileSync(join(dataDir, 'counter.json'), 'utf8');
}

function storedCounter(dataDir: string): number {
  const parsed = JSON.parse(counterFile(dataDir)) as { counter: number };
  expect(Object.keys(parsed)).toEqual(['counter']);
  expect(Number.isInteger(parsed.counter)).toBe(true);
  return parsed.counter;
}

function filesIn(dataDir: string): string[] {
  return readdirSync(dataDir).sort();
}

afterEach(cleanUp);

describe('server.py HTTP contract', () => {
  it('creates {"counter": 0}, and GET / increments it and answers pod, counter and version', async () => {
    const dir = makeDataDir();
    const server = await startServer(dir, { POD_NAME: 'helm-python-1', APP_VERSION: 'v7' });
    expect(counterFile(dir)).toBe('{"counter": 0}');
    for (const expected of [1, 2, 3]) {
      const response = await httpGet(server.port, '/');
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ pod: 'helm-python-1', counter: expected, version: 'v7' });
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.text)));
      expect(response.headers.connection).toBe('close');
    }
    // Exactly the shape of the lab write-up's `kubectl exec ... cat /data/counter.json`.
    expect(counterFile(dir)).toBe('{"counter": 3}');
    expect((await httpGet(server.port, '/?from=test')).json).toMatchObject({ counter: 4 });
    expect(filesIn(dir)).toEqual(['counter.json']);
  });

  it('/healthz answers ok without incrementing; other paths and methods answer JSON errors without incrementing', async () => {
    const dir = makeDataDir();
    const server = await startServer(dir);
    await httpGet(server.port, '/');
    for (let i = 0; i < 5; i++) {
      const health = await httpGet(server.port, '/healthz');
      expect(health.status).toBe(200);
      expect(health.json).toEqual({ status: 'ok', pod: 'helm-python-0', version: 'v1' });
      expect(health.headers.connection).toBe('close');
    }
    const notFound = await httpGet(server.port, '/favicon.ico');
    expect(notFound.status).toBe(404);
    expect(notFound.json).toMatchObject({ error: 'not found' });
    const post = await httpGet(server.port, '/', { method: 'POST' });
    expect(post.status).toBe(501);
    expect(post.headers['content-type']).toBe('application/json');
    expect(storedCounter(dir)).toBe(1);
    expect((await httpGet(server.port, '/')).json).toMatchObject({ counter: 2 });
  });

  it('/counter.json answers the file as it is on disk, without incrementing', async () => {
    const dir = makeDataDir();
    const server = await startServer(dir);
    await httpGet(server.port, '/');
    await httpGet(server.port, '/');
    for (let i = 0; i < 3; i++) {
      const file = await httpGet(server.port, '/counter.json');
      expect(file.status).toBe(200);
      expect(file.text).toBe(counterFile(dir));
      expect(file.headers['content-type']).toBe('application/json');
    }
    expect(storedCounter(dir)).toBe(2);
  });

  it('APP_BROKEN=true makes /healthz answer 503 while / still counts', async () => {
    const dir = makeDataDir();
    const server = await startServer(dir, { APP_BROKEN: 'true', APP_VERSION: 'v2' });
    for (let i = 0; i < 3; i++) {
      const health = await httpGet(server.port, '/healthz');
      expect(health.status).toBe(503);
      expect(health.json).toEqual({ status: 'broken', pod: 'helm-python-0', version: 'v2' });
    }
    const response = await httpGet(server.port, '/');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ pod: 'helm-python-0', counter: 1, version: 'v2' });
  });
});

describe('server.py persistence', () => {
  it('keeps counting across a restart on the same directory', async () => {
    const dir = makeDataDir();
    const first = await startServer(dir);
    for (let i = 0; i < 3; i++) await httpGet(first.port, '/');
    expect(await stopServer(first)).toMatchObject({ code: 0 });
    const second = await startServer(dir);
    expect((await httpGet(second.port, '/')).json).toMatchObject({ counter: 4 });
    expect(storedCounter(dir)).toBe(4);
    expect(filesIn(dir)).toEqual(['counter.json']);
  });

  it('continues from an existing counter.json and removes leftover temp files at startup', async () => {
    const dir = makeDataDir();
    writeFileSync(join(dir, 'counter.json'), '{"counter": 41}');
    writeFileSync(join(dir, 'counter.json.tmp-1'), '{"coun');
    writeFileSync(join(dir, 'counter.json.tmp-99999'), '');
    const server = await startServer(dir);
    expect(filesIn(dir)).toEqual(['counter.json']);
    expect((await httpGet(server.port, '/')).json).toMatchObject({ counter: 42 });
  });

  it('refuses to start on a corrupt counter.json, exiting non-zero without touching the file', async () => {
    const corrupt = ['{not json', '', '{"count": 3}', '{"counter": "7"}', '{"counter": -1}', '{"counter": 1.5}', '{"counter": true}', '[1]', '\u00ff\u00fe'];
    await Promise.all(
      corrupt.map(async (content) => {
        const dir = makeDataDir();
        writeFileSync(join(dir, 'counter.json'), content);
        const server = spawnServer(dir, await freePort());
        const exit = await Promise.race([server.exited, sleep(15_000).then(() => undefined)]);
        expect(exit, `startup with ${JSON.stringify(content)} did not fail`).toBeDefined();
        expect(exit?.code, content).not.toBe(0);
        expect(exit?.code, content).not.toBeNull();
        expect(server.output().stderr, content).toMatch(/counter\.json.*refusing to start/is);
        expect(readFileSync(join(dir, 'counter.json'), 'utf8')).toBe(content);
      }),
    );
  });
});

describe('server.py under concurrent load', () => {
  it('8 clients x 500 requests: every answer 200, counters exactly 1..4000, counter.json always valid', async () => {
    const dir = makeDataDir(true);
    const server = await startServer(dir);
    const load = startLoad(server.port, 8, 500);
    let finished = false;
    void load.done.finally(() => (finished = true));

    // Read the file as hard as we can while the load runs: it must always be whole and never go down.
    let reads = 0;
    let last = 0;
    while (!finished && reads < 1_000_000) {
      const value = storedCounter(dir);
      expect(value).toBeGreaterThanOrEqual(last);
      last = value;
      reads++;
      if (reads % 20 === 0) await sleep(0);
    }
    const result = await load.done;

    expect(result.errors).toEqual([]);
    expect(result.statuses).toEqual([]);
    expect(result.acknowledged).toHaveLength(4000);
    const sorted = [...result.acknowledged].sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
    expect(storedCounter(dir)).toBe(4000);
    expect(reads).toBeGreaterThan(10);
    expect(filesIn(dir)).toEqual(['counter.json']);
  });
});

describe('server.py shutdown', () => {
  async function loadUntil(server: RunningServer, acknowledged: number) {
    const load = startLoad(server.port, 6, 5000, true);
    await waitFor(() => load.result.acknowledged.length >= acknowledged || load.result.errors.length > 0, 30_000, `${acknowledged} answers`);
    expect(load.result.errors).toEqual([]);
    return load;
  }

  it('SIGTERM under load: exits 0 within 3 s, and every acknowledged increment is on disk, once', async () => {
    const dir = makeDataDir(true);
    const server = await startServer(dir);
    const load = await loadUntil(server, 300);
    const exit = await stopServer(server, 'SIGTERM');
    const result = await load.done;

    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(3000);
    expect(result.errors.length).toBeGreaterThan(0); // the clients did run into the stopped server
    const stored = storedCounter(dir);
    expect(stored).toBe(result.acknowledged.length);
    expect(stored).toBeGreaterThanOrEqual(Math.max(...result.acknowledged));
    expect(new Set(result.acknowledged).size).toBe(result.acknowledged.length);
    expect(result.statuses.every((s) => s === 503)).toBe(true);
    expect(filesIn(dir)).toEqual(['counter.json']);
    expect(server.output().stdout).toContain('stopped');
  });

  it('SIGINT does the same, and an idle connection does not hold the exit', async () => {
    const dir = makeDataDir();
    const server = await startServer(dir);
    await httpGet(server.port, '/');
    const idle = connect(server.port, '127.0.0.1');
    idle.on('error', () => undefined);
    await new Promise((resolve) => idle.once('connect', resolve));
    await sleep(100); // let the server accept it
    const exit = await stopServer(server, 'SIGINT');
    idle.destroy();
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(3000);
    expect(storedCounter(dir)).toBe(1);
  });

  it('SIGKILL under load leaves a valid counter.json between the acknowledged and the sent count; a restart continues', async () => {
    const dir = makeDataDir(true);
    const server = await startServer(dir);
    const load = await loadUntil(server, 300);
    const exit = await stopServer(server, 'SIGKILL');
    const result = await load.done;
    expect(exit.signal).toBe('SIGKILL');

    const stored = storedCounter(dir);
    expect(stored).toBeGreaterThanOrEqual(result.acknowledged.length);
    expect(stored).toBeGreaterThanOrEqual(Math.max(...result.acknowledged));
    expect(stored).toBeLessThanOrEqual(result.sent);

    // A temp file may be left behind by the kill; the next start removes it and goes on counting.
    const restarted = await startServer(dir);
    expect(filesIn(dir)).toEqual(['counter.json']);
    expect((await httpGet(restarted.port, '/')).json).toMatchObject({ counter: stored + 1 });
  });
});
