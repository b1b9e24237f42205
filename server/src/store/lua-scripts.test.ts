import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { luaScriptFileHeader } from '@ripple/shared/node';
import { admitTweetScript } from './admit-tweet.js';
import { deleteTweetScript } from './delete-tweet.js';
import { addFollowerScript, addSyntheticFollowersScript, removeFollowerScript, reserveFollowsScript, syncAudienceScript } from './follows.js';
import { markActiveScript, rebuildTimelineScript } from './rebuild-timeline.js';
import { cancelScheduledScript } from './scheduled-tweets.js';

const scripts = [
  admitTweetScript,
  deleteTweetScript,
  addFollowerScript,
  addSyntheticFollowersScript,
  removeFollowerScript,
  reserveFollowsScript,
  syncAudienceScript,
  cancelScheduledScript,
  rebuildTimelineScript,
  markActiveScript,
];

describe("the server's Lua scripts", () => {
  it('each have a typed definition', () => {
    const files = readdirSync(new URL('../lua/', import.meta.url)).filter((file) => file.endsWith('.lua'));
    expect(scripts.map((s) => s.name).sort()).toEqual(files.sort());
  });

  it.each(scripts)('$name: the header lists the KEYS and ARGV its definition names, in the same order', (script) => {
    expect(luaScriptFileHeader(script)).toEqual({ keys: script.keys, args: script.args, rest: script.rest });
  });
});
