import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jobField, luaRecords, statsField, tweetField } from '../records/index.js';
import { expandLuaIncludes } from './lua-includes.js';

const scriptDirs = ['../../../server/src/lua/', '../../../worker/src/lua/', './fan-out/lua/'].map((dir) => new URL(dir, import.meta.url));
const scripts = scriptDirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => ({ file, source: readFileSync(new URL(file, dir), 'utf8') })),
);

describe('expandLuaIncludes', () => {
  it('replaces an include line with the file of that name in shared/src/lua/includes', () => {
    const expanded = expandLuaIncludes('local a = 1\n--- @include "time-ms"\nreturn timeMs()\n', 'test.lua');
    expect(expanded).toContain('local function timeMs()');
    expect(expanded).not.toContain('@include');
    expect(expanded.startsWith('local a = 1\n')).toBe(true);
    expect(expanded.endsWith('\nreturn timeMs()\n')).toBe(true);
  });

  it('refuses an unknown include, naming it and the script', () => {
    expect(() => expandLuaIncludes('--- @include "no-such-idiom"\n', 'broken.lua')).toThrow(/broken\.lua: unknown Lua include "no-such-idiom"/);
  });

  it('generates each record as a table of the very names the TypeScript module uses', () => {
    const job = expandLuaIncludes('--- @include "job-record"', 'test.lua');
    expect(job).toContain(`local JOB = {`);
    expect(job).toContain(`  chunksLeft = '${jobField.chunksLeft}',`);
    expect(job).toContain(`return '${jobField.reported('')}' .. suffix`);
    expect(job).toContain(`return '${jobField.attempt('')}' .. suffix`);
    expect(expandLuaIncludes('--- @include "stats-record"', 'test.lua')).toContain(`  jobsDone = '${statsField.jobsDone}',`);
    expect(expandLuaIncludes('--- @include "tweet-record"', 'test.lua')).toContain(`  authorHandle = '${tweetField.authorHandle}',`);
  });

  it.each(scripts)('leaves no include unexpanded in $file', ({ file, source }) => {
    expect(expandLuaIncludes(source, file)).not.toMatch(/@include/);
  });

  it.each(scripts)('finds every record name $file uses in the record it includes', ({ file, source }) => {
    for (const record of luaRecords) {
      const used = [...source.matchAll(new RegExp(`\\b${record.table}\\.(\\w+)`, 'g'))].map((m) => m[1]!);
      const functions = [...source.matchAll(/\b(\w+Field)\(/g)].map((m) => m[1]!).filter((fn) => fn.startsWith(record.table.toLowerCase()));
      if (used.length + functions.length === 0) continue;
      expect(source, `${file} uses ${record.table} without including it`).toContain(`--- @include "${record.include}"`);
      for (const name of used) expect(Object.keys(record.fields), `${file}: ${record.table}.${name}`).toContain(name);
      for (const fn of functions) expect(Object.keys(record.prefixed), `${file}: ${fn}()`).toContain(fn);
    }
  });
});
