import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { localRedisArgs } from '../scripts/local-redis.js';
import { freePort } from './support/free-port.js';
import { waitForPing } from './support/redis-server.js';

/**
 * Runs the local redis-server binary with `args` (the port and data directory given by `place`)
 * and answers what CONFIG GET reads back for each of `settings`: the arguments are judged by what
 * Redis makes of them, not by how they are spelled.
 */
async function settingsOf(place: (port: number, dataDir: string) => string[], settings: string[]): Promise<Record<string, string>> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ripple-durability-'));
  const child = spawn('redis-server', place(port, dataDir), { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([waitForPing(port), exited.then((code) => Promise.reject(new Error(`redis-server exited (${code})`)))]);
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    await client.connect();
    try {
      const read: Record<string, string> = {};
      for (const name of settings) Object.assign(read, await client.configGet(name));
      return read;
    } finally {
      client.destroy();
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const root = new URL('..', import.meta.url);

/**
 * The redis service of docker-compose.yml: its `command` (written as a one-line JSON-style list,
 * which this reads with JSON.parse) and its lines, for the volume.
 */
function composeRedisService(): { command: string[]; lines: string[] } {
  const compose = readFileSync(new URL('docker-compose.yml', root), 'utf8').split('\n');
  const start = compose.indexOf('  redis:');
  expect(start, 'docker-compose.yml has a redis service').toBeGreaterThanOrEqual(0);
  const end = compose.findIndex((line, i) => i > start && /^ {2}\S/.test(line));
  const lines = compose.slice(start + 1, end === -1 ? undefined : end);
  const command = lines.map((line) => /^ {4}command: (\[.*\])\s*$/.exec(line)?.[1]).find((c) => c !== undefined);
  expect(command, 'the redis service has a one-line command: [...]').toBeDefined();
  return { command: JSON.parse(command!) as string[], lines };
}

describe('durability settings (README, "Durability")', () => {
  it("npm start's redis-server keeps an append-only file, fsynced every second", async () => {
    const settings = await settingsOf((port, dataDir) => localRedisArgs({ port: String(port), dataDir }), ['appendonly', 'appendfsync']);
    expect(settings).toEqual({ appendonly: 'yes', appendfsync: 'everysec' });
  });

  it("npm start's redis-server has a memory bound and refuses writes rather than evicting at it", async () => {
    const settings = await settingsOf((port, dataDir) => localRedisArgs({ port: String(port), dataDir }), ['maxmemory', 'maxmemory-policy']);
    expect(settings).toEqual({ maxmemory: String(1024 ** 3), 'maxmemory-policy': 'noeviction' });
  });

  it('npm start builds its redis-server command from localRedisArgs, not from arguments of its own', () => {
    // scripts/start.ts runs on import, so it cannot be called here: this checks that it uses the
    // function the test above runs, and spells no persistence setting itself.
    const start = readFileSync(new URL('scripts/start.ts', root), 'utf8');
    expect(start).toMatch(/\['redis-server', \.\.\.CONFIG_FROM_STDIN, \.\.\.localRedisArgs\(/);
    expect(start).not.toMatch(/--append|--save/);
  });

  it("docker compose's Redis keeps an append-only file, fsynced every second, on a volume", async () => {
    const { command, lines } = composeRedisService();
    expect(command[0]).toBe('redis-server');
    // Later arguments win: the port and directory are this machine's, everything else compose's.
    const settings = await settingsOf((port, dataDir) => [...command.slice(1), '--port', String(port), '--dir', dataDir], ['appendonly', 'appendfsync']);
    expect(settings).toEqual({ appendonly: 'yes', appendfsync: 'everysec' });
    // The image writes its files to /data; the named volume keeps them when the container goes.
    expect(command).not.toContain('--dir');
    expect(lines).toContain('      - redis-data:/data');
  });
});
