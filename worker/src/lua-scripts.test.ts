import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { luaScriptFileHeader } from '@ripple/shared/node';
import { publishScheduledScript } from './publish-scheduled.js';
import { claimStalledScript, giveUpChunkScript, promoteRetriesScript } from './retries.js';

const scripts = [claimStalledScript, giveUpChunkScript, promoteRetriesScript, publishScheduledScript];

describe("the worker's Lua scripts", () => {
  it('each have a typed definition', () => {
    const files = readdirSync(new URL('./lua/', import.meta.url)).filter((file) => file.endsWith('.lua'));
    expect(scripts.map((s) => s.name).sort()).toEqual(files.sort());
  });

  it.each(scripts)('$name: the header lists the KEYS and ARGV its definition names, in the same order', (script) => {
    expect(luaScriptFileHeader(script)).toEqual({ keys: script.keys, args: script.args, rest: script.rest });
  });
});
