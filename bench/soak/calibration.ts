import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '@ripple/shared';
import type { RippleClient } from '../loadtest/ripple-client.js';
import type { Poster, PostRecord } from './poster.js';
import type { SoakAuthor } from './soak-crowd.js';

/** One round of the measurement. */
export interface CalibrationRound {
  tweets: number;
  deliveries: number;
  /** First `enqueuedAt` to last `finishedAt` of the round's jobs, in ms (Redis's clock). */
  elapsedMs: number;
  deliveriesPerSecond: number;
}

/** How fast the stack drains fan-out work, measured before posting starts. */
export interface DrainMeasurement {
  /** Synthetic followers of the calibration author. */
  followers: number;
  rounds: CalibrationRound[];
  /** The slowest round's rate: what the soak posts a share of. */
  deliveriesPerSecond: number;
}

/**
 * Rounds measured. The slowest counts: on a box that other work shares, a round that happened
 * to get the CPU to itself overstates what the stack sustains for minutes, while the soak also
 * serves HTTP, sockets and small tweets; erring low keeps the soak below saturation.
 */
export const CALIBRATION_ROUNDS = 3;
/**
 * Deliveries one round asks for: seconds of work for three workers, so the round measures a
 * sustained rate (append-only file writes included) rather than the burst at its start.
 */
export const ROUND_DELIVERIES = 1_000_000;

/** Tweets per round for an author with `followers` followers. */
export const tweetsPerRound = (followers: number): number => Math.max(2, Math.ceil(ROUND_DELIVERIES / followers));

/** Deliveries per second of a set of finished jobs, from the first enqueue to the last finish. */
export function roundOf(jobs: readonly Job[]): CalibrationRound {
  const enqueued = Math.min(...jobs.map((j) => Date.parse(j.enqueuedAt)));
  const finished = Math.max(...jobs.map((j) => Date.parse(j.finishedAt ?? j.enqueuedAt)));
  const deliveries = jobs.reduce((sum, j) => sum + j.delivered, 0);
  const elapsedMs = Math.max(1, finished - enqueued);
  return { tweets: jobs.length, deliveries, elapsedMs, deliveriesPerSecond: (deliveries / elapsedMs) * 1000 };
}

async function untilDone(client: RippleClient, record: PostRecord, timeoutMs: number): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.job(record.author.token, record.jobId!);
    if (job.status === 'done') return job;
    if (job.status === 'failed' || Date.now() > deadline) throw new Error(`a calibration fan-out did not finish: ${JSON.stringify(job)}`);
    await delay(100);
  }
}

/** Posts `count` tweets at once and waits for all of their jobs to be done. */
async function postAndFinish(client: RippleClient, poster: Poster, author: SoakAuthor, count: number, timeoutMs: number): Promise<Job[]> {
  const records = Array.from({ length: count }, () => poster.post(author));
  await poster.settled();
  const refused = records.find((r) => r.state !== 'accepted');
  if (refused) throw new Error(`a calibration tweet was not accepted: ${refused.error}`);
  return Promise.all(records.map((record) => untilDone(client, record, timeoutMs)));
}

/**
 * Measures the drain rate as the whole stack delivers: one author with many synthetic followers
 * posts a warm-up tweet (its fan-out creates every timeline key, the costly first write), then
 * `CALIBRATION_ROUNDS` rounds of tweets posted at once; a round's rate is its deliveries over
 * the time from its first `enqueuedAt` to its last `finishedAt`, and the slowest round counts.
 * So it is deliveries onto existing timelines by all three workers, queueing and the
 * append-only file included, with nothing else running: the capacity the soak posts a share of.
 */
export async function measureDrainRate(client: RippleClient, poster: Poster, author: SoakAuthor, timeoutMs = 120_000): Promise<DrainMeasurement> {
  await postAndFinish(client, poster, author, 1, timeoutMs);
  const rounds: CalibrationRound[] = [];
  for (let i = 0; i < CALIBRATION_ROUNDS; i++) rounds.push(roundOf(await postAndFinish(client, poster, author, tweetsPerRound(author.synthetic), timeoutMs)));
  return { followers: author.synthetic, rounds, deliveriesPerSecond: Math.min(...rounds.map((r) => r.deliveriesPerSecond)) };
}
