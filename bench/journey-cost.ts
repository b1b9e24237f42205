/**
 * What a job's journey costs Redis: the one script call a small tweet's job makes when its
 * entry has run (report-chunks.lua, completing the job), timed by Redis itself (INFO
 * commandstats, µs per EVALSHA) with the run's start recorded in the journey and without it
 * (the same script, as a later report of a run calls it); and the memory of a journey of one
 * step (a small tweet) and of eleven (a 100 000-follower tweet in 10 000-follower chunks), beside
 * that of the small tweet's job hash, which is kept as long.
 * Alternating batches of `JOBS` jobs each, on a throwaway redis-server; medians over `ROUNDS`.
 *
 *   npm run bench -- --journey
 */
import { jobField } from '@ripple/shared';
import { keysOf, reportChunks } from '@ripple/shared/node';
import { startRedis } from '../test/support/redis-server.js';
import { connectedClient } from '../test/support/ripple.js';

const JOBS = 5_000;
const ROUNDS = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Prints the journey's cost as JSON, on a redis-server of its own. */
export async function runJourneyCostBench(): Promise<void> {
  const server = await startRedis();
  const redis = await connectedClient(server.url);
  try {
    const k = keysOf(redis);
    let nextJob = 1;

    /** µs per EVALSHA that Redis spent on `JOBS` small jobs each reported complete in one call. */
    async function batch(recordStart: boolean): Promise<number> {
      const ids = Array.from({ length: JOBS }, () => String(nextJob++));
      const setup = redis.multi();
      for (const id of ids) {
        setup.hSet(k.job(id), {
          [jobField.id]: id,
          [jobField.tweetSeq]: id,
          [jobField.authorId]: '1',
          [jobField.status]: 'queued',
          [jobField.delivered]: 0,
          [jobField.total]: 100,
          [jobField.enqueuedAt]: Date.now(),
          [jobField.chunksLeft]: 1,
          [jobField.small]: 1,
        });
      }
      await setup.exec();
      await redis.configResetStat();
      await Promise.all(
        ids.map((id) =>
          reportChunks(redis, {
            jobId: id,
            tweetSeq: id,
            tweetId: id,
            authorId: '1',
            attempt: 1,
            progressIntervalMs: 250,
            worker: 'bench-host-1234-abcdef',
            runStartedAt: recordStart ? Date.now() : 0,
            reports: [{ chunk: { bucket: 0, lo: '0', hi: '100' }, delivered: 100, complete: true, skipped: 0 }],
          }),
        ),
      );
      const stats = await redis.info('commandstats');
      return Number(/^cmdstat_evalsha:.*usec_per_call=([\d.]+)/m.exec(stats)?.[1]);
    }

    const withJourney: number[] = [];
    const without: number[] = [];
    await batch(true); // warm-up: the script loaded, the allocator settled
    for (let round = 0; round < ROUNDS; round++) {
      withJourney.push(await batch(true));
      without.push(await batch(false));
    }

    const oneStep = k.journey(String(nextJob - 2 * JOBS));
    const longJourney = k.journey('999999999');
    for (let i = 0; i < 11; i++) await redis.rPush(longJourney, (await redis.lRange(oneStep, 0, 0))[0]!);

    console.log(
      JSON.stringify({
        jobs: JOBS,
        rounds: ROUNDS,
        reportCompletingJobUsPerCall: { withJourneyStep: median(withJourney), withoutJourneyStep: median(without), runs: { withJourney, without } },
        journeyBytes: { oneStep: await redis.memoryUsage(oneStep), elevenSteps: await redis.memoryUsage(longJourney) },
        smallJobBytes: await redis.memoryUsage(k.job(String(nextJob - 2 * JOBS))),
        step: (await redis.lRange(oneStep, 0, 0))[0],
      }),
    );
  } finally {
    await redis.close();
    await server.stop();
  }
}
