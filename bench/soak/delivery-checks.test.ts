import { describe, expect, it } from 'vitest';
import { chunkId, jobField } from '@ripple/shared';
import { chunkStartsOf } from './delivery-checks.js';

describe('chunkStartsOf', () => {
  it('reads the chunks a job was cut into, by bucket, from any of its per-chunk fields', () => {
    const chunks = [
      { bucket: 0, lo: '0', hi: '500' },
      { bucket: 0, lo: '500', hi: '1000' },
      { bucket: 3, lo: '0', hi: '1000' },
      { bucket: 12, lo: '250', hi: '1000' },
    ];
    const job: Record<string, string> = { [jobField.id]: '48', [jobField.status]: 'done', [jobField.chunksLeft]: '0' };
    // An empty chunk is reported with nothing delivered: only its attempt and finished fields exist.
    job[jobField.attempt(chunkId(chunks[0]!))] = '1';
    job[jobField.finished(chunkId(chunks[0]!))] = '1';
    job[jobField.reported(chunkId(chunks[1]!))] = '20';
    job[jobField.attempt(chunkId(chunks[1]!))] = '2';
    job[jobField.attempt(chunkId(chunks[2]!))] = '1';
    job[jobField.finished(chunkId(chunks[3]!))] = '1';
    expect(chunkStartsOf(job)).toEqual(
      new Map([
        [0, [0, 500]],
        [3, [0]],
        [12, [250]],
      ]),
    );
  });

  it('has no chunks for a job without any', () => {
    expect(chunkStartsOf({})).toEqual(new Map());
    expect(chunkStartsOf({ [jobField.total]: '0', [jobField.lastProgressAt]: '12' })).toEqual(new Map());
  });
});
