import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { expandLuaIncludes } from './lua-includes.js';
import type { RedisClient } from './redis-client.js';

/** A Lua script read once from disk, run by SHA with a fallback to EVAL after a Redis restart. */
export interface LuaScript {
  readonly name: string;
  run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** A Redis hash as a Lua script returns it (flat: field, value, field, value, …) as an object. */
export function hashFromFlat(list: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) hash[list[i]!] = list[i + 1]!;
  return hash;
}

/** A reply holding a hash as HGETALL gives it to a script (field, value, …), read as an object. */
export const luaHash = z.array(z.string()).transform(hashFromFlat);

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

type LuaValue = string | number;

/** A script's ARGV by name; the variadic tail, when the script has one, as a list under its name. */
export type LuaArgs<A extends string, R extends string> = { readonly [N in A]: LuaValue } & { readonly [N in R]: readonly LuaValue[] };

/** What a script's header declares, in order (see `luaScriptHeader`). */
export interface LuaHeader {
  keys: readonly string[];
  args: readonly string[];
  /** The name of the variadic tail of ARGV (`ARGV[n], … name: …`), if any. */
  rest: string | undefined;
}

export interface LuaScriptSpec<K extends string, A extends string, R extends string, Reply extends z.ZodType> {
  url: URL;
  /** KEYS[1], KEYS[2], … by name, in the order the script's header lists them. */
  keys: readonly K[];
  /** ARGV[1], ARGV[2], … by name, in the header's order. */
  args: readonly A[];
  /** The name of a variadic tail after `args`, when the script takes one. */
  rest?: R;
  /** What the script returns; a reply that does not fit is an error, naming the script. */
  reply: Reply;
}

/** A script with named KEYS and ARGV and a checked reply: the only TS that knows their order. */
export interface TypedLuaScript<K extends string, A extends string, R extends string, Reply extends z.ZodType> extends LuaHeader {
  readonly name: string;
  readonly url: URL;
  run(client: RedisClient, keys: Readonly<Record<K, string>>, args: LuaArgs<A, R>): Promise<z.output<Reply>>;
}

/**
 * Defines a script by the names of its KEYS and ARGV, in the order its header lists them
 * (lua-script headers are checked against these by each workspace's lua-scripts test), and the
 * zod schema of its reply. Call sites then pass objects by name, and get the reply typed.
 */
export function defineLuaScript<const K extends string, const A extends string, Reply extends z.ZodType, const R extends string = never>(
  spec: LuaScriptSpec<K, A, R, Reply>,
): TypedLuaScript<K, A, R, Reply> {
  const script = loadLuaScript(spec.url);
  return {
    name: script.name,
    url: spec.url,
    keys: spec.keys,
    args: spec.args,
    rest: spec.rest,
    async run(client, keys, args) {
      const tail = spec.rest === undefined ? [] : args[spec.rest];
      const raw = await script.run(
        client,
        spec.keys.map((name) => keys[name]),
        [...spec.args.map((name) => args[name]), ...tail],
      );
      const reply = spec.reply.safeParse(raw);
      if (!reply.success) throw new Error(`${script.name} replied ${JSON.stringify(raw)}: ${z.prettifyError(reply.error)}`);
      return reply.data;
    },
  };
}

/** The header comment of a script: its first `--[[ … ]]`. */
const HEADER = /^--\[\[([\s\S]*?)\]\]/;
/** `KEYS[n] name: …`, `ARGV[n] name: …`, or a variadic tail `ARGV[n], … name: …`. */
const HEADER_LINE = /^\s*(KEYS|ARGV)\[(\d+)\]((?:,\s*ARGV\[\d+\])*,\s*…)?\s+([A-Za-z]\w*):\s/;
const INDEXED_LINE = /^\s*(KEYS|ARGV)\[\d+\]/;

/**
 * The names a script's header gives its KEYS and ARGV, in order. Throws when a header line
 * names no argument, or when the numbers do not run 1, 2, 3, … in order.
 */
export function luaScriptHeader(source: string, script: string): LuaHeader {
  const header = HEADER.exec(source)?.[1] ?? '';
  const names: { KEYS: string[]; ARGV: string[] } = { KEYS: [], ARGV: [] };
  let rest: string | undefined;
  for (const line of header.split('\n')) {
    if (!INDEXED_LINE.test(line)) continue;
    const [, kind, index, variadic, name] = HEADER_LINE.exec(line) ?? [];
    if (!kind || !name) throw new Error(`${script}: header line names no argument: ${line.trim()}`);
    const list = names[kind as 'KEYS' | 'ARGV'];
    if (Number(index) !== list.length + 1 || rest !== undefined) throw new Error(`${script}: header line out of order: ${line.trim()}`);
    if (variadic) rest = name;
    else list.push(name);
  }
  return { keys: names.KEYS, args: names.ARGV, rest };
}

/** The header of a defined script's file, to compare with its definition. */
export const luaScriptFileHeader = (script: { name: string; url: URL }): LuaHeader => luaScriptHeader(readFileSync(script.url, 'utf8'), script.name);

/** The KEYS object a defined script's `run` takes, for code that builds it apart from the call. */
export type LuaKeysOf<S extends TypedLuaScript<string, string, string, z.ZodType>> = Parameters<S['run']>[1];
/** The ARGV object a defined script's `run` takes. */
export type LuaArgsOf<S extends TypedLuaScript<string, string, string, z.ZodType>> = Parameters<S['run']>[2];
