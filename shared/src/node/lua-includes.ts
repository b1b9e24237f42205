import { existsSync, readFileSync } from 'node:fs';
import { luaRecords, luaRecordSource } from '../records/index.js';

/** Idioms written once for every script (ms from TIME, push-and-trim). */
const INCLUDES_DIR = new URL('../lua/includes/', import.meta.url);

/** A line `--- @include "<name>"`, as BullMQ's scripts write it. */
const INCLUDE_LINE = /^--- @include "([^"]+)"[ \t]*$/gm;

const generated = new Map(luaRecords.map((record) => [record.include, luaRecordSource(record)]));

/** The Lua an include name stands for: a generated record, or a file in shared/src/lua/includes. */
function includeSource(name: string, script: string): string {
  const record = generated.get(name);
  if (record !== undefined) return record;
  const file = new URL(`${name}.lua`, INCLUDES_DIR);
  if (existsSync(file)) return readFileSync(file, 'utf8').trimEnd();
  throw new Error(`${script}: unknown Lua include "${name}" (neither a record in shared/src/records nor shared/src/lua/includes/${name}.lua)`);
}

/**
 * Replaces each `--- @include "<name>"` line of a script with that include's source. Expanded
 * once, when the script loads: Redis sees one self-contained script, and its SHA covers the
 * includes too.
 */
export function expandLuaIncludes(source: string, script: string): string {
  return source.replace(INCLUDE_LINE, (_line, name: string) => includeSource(name, script));
}
