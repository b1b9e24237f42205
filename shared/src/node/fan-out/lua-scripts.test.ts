import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { luaScriptFileHeader } from '../lua-script.js';
import { deletePageScript } from './delete-page.js';
import { deliverPageScript, reportChunksScript } from './deliver-page.js';

const scripts = [deliverPageScript, deletePageScript, reportChunksScript];

describe("the fan-out's Lua scripts (shared by workers and the server's inline delivery)", () => {
  it('each have a typed definition', () => {
    const files = readdirSync(new URL('./lua/', import.meta.url)).filter((file) => file.endsWith('.lua'));
    expect(scripts.map((s) => s.name).sort()).toEqual(files.sort());
  });

  it.each(scripts)('$name: the header lists the KEYS and ARGV its definition names, in the same order', (script) => {
    expect(luaScriptFileHeader(script)).toEqual({ keys: script.keys, args: script.args, rest: script.rest });
  });
});
