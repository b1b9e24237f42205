import { describe, expect, it } from 'vitest';
import { luaScriptHeader } from './lua-script.js';

const header = (lines: string) => `--[[\n  a script.\n\n${lines}\n\n  Returns 1.\n]]\nreturn 1\n`;

describe('luaScriptHeader', () => {
  it('reads the names of KEYS and ARGV in order, and a variadic tail', () => {
    const source = header(
      [
        '  KEYS[1] job: the job hash',
        '  KEYS[2] events: the events stream, not KEYS[1]: another key',
        '  ARGV[1] jobId: the job id',
        '  ARGV[2] error: readable by the author; continued on',
        '           the next line',
        '  ARGV[3], ARGV[4], … reports: for each chunk: id, delivered',
      ].join('\n'),
    );
    expect(luaScriptHeader(source, 'x.lua')).toEqual({ keys: ['job', 'events'], args: ['jobId', 'error'], rest: 'reports' });
  });

  it('reads a script without ARGV or a tail', () => {
    expect(luaScriptHeader(header('  KEYS[1] audience: the hash'), 'x.lua')).toEqual({ keys: ['audience'], args: [], rest: undefined });
  });

  it('reads only the header, not ARGV[n] in the code', () => {
    expect(luaScriptHeader(`${header('  ARGV[1] now: ms')}\nARGV[2] = 1\n`, 'x.lua').args).toEqual(['now']);
  });

  it('refuses a line that names no argument, naming the script', () => {
    expect(() => luaScriptHeader(header('  KEYS[1] the job hash'), 'x.lua')).toThrow('x.lua: header line names no argument: KEYS[1] the job hash');
  });

  it('refuses numbers out of order, or a line after the variadic tail', () => {
    expect(() => luaScriptHeader(header('  ARGV[2] a: one'), 'x.lua')).toThrow('out of order');
    expect(() => luaScriptHeader(header('  ARGV[1] a: one\n  ARGV[1] b: two'), 'x.lua')).toThrow('out of order');
    expect(() => luaScriptHeader(header('  ARGV[1], … a: all\n  ARGV[2] b: two'), 'x.lua')).toThrow('out of order');
  });
});
