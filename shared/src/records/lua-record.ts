/**
 * How a record's field names reach Lua: a table of fixed names and a function per family of
 * per-chunk fields, generated from the same constants TypeScript uses, so the two spellings
 * cannot drift. A script takes them with `--- @include "<include>"`.
 */
export interface LuaRecord {
  /** The name a script includes it by, e.g. "job-record". */
  include: string;
  /** The Lua table holding the fixed names, e.g. JOB. */
  table: string;
  /** Key in TS and Lua → field name in Redis. */
  fields: Readonly<Record<string, string>>;
  /** Lua function name → prefix its one argument is appended to. */
  prefixed: Readonly<Record<string, string>>;
}

const luaString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The Lua source of a record's include. */
export function luaRecordSource(record: LuaRecord): string {
  const fields = Object.entries(record.fields).map(([key, name]) => `  ${key} = ${luaString(name)},`);
  const functions = Object.entries(record.prefixed).map(([fn, prefix]) => `local function ${fn}(suffix)\n  return ${luaString(prefix)} .. suffix\nend`);
  // A name the record lacks fails the script loudly instead of reading or writing a field "nil".
  const strict = `setmetatable(${record.table}, {__index = function(_, key) error('${record.include} has no field ' .. tostring(key)) end})`;
  return [`-- Generated from shared/src/records at load time; do not edit.`, `local ${record.table} = {`, ...fields, '}', strict, ...functions].join('\n');
}
