import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expandLuaIncludes } from './lua-includes.js';
import type { RedisClient } from './redis-client.js';

/** A Lua script read once from disk, run by SHA with a fallback to EVAL after a Redis restart. */
export interface LuaScript {
  readonly name: string;
  run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** A Redis hash as a Lua script returns it (flat: field, value, field, value, …) as an object. */
export function hashFromFlat(flat: unknown): Record<string, string> {
  const list = flat as string[];
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) hash[list[i]!] = list[i + 1]!;
  return hash;
}

/**
 * Reads a script, expands its `--- @include "<name>"` lines (see lua-includes.ts) and returns
 * it ready to run. Throws at load, naming the script, when an include does not exist.
 */
export function loadLuaScript(url: URL): LuaScript {
  const name = url.pathname.split('/').pop() ?? url.pathname;
  // `#!lua`: a script with a shebang may touch only keys in the slot of its declared ones on a
  // Redis Cluster. Without it Redis 7 lets a script reach a key of another slot when the same
  // node happens to hold it, which would hide a key-layout bug until the slots move.
  const source = `#!lua\n${expandLuaIncludes(readFileSync(url, 'utf8'), name)}`;
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    name,
    async run(client, keys, args) {
      const tail = [String(keys.length), ...keys, ...args.map(String)];
      try {
        return await client.sendCommand(['EVALSHA', sha, ...tail]);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return await client.sendCommand(['EVAL', source, ...tail]);
      }
    },
  };
}
