import { setTimeout as delay } from 'node:timers/promises';
import { fanoutEntrySchema, keys } from '@ripple/shared';
import { isRedisUnavailable, type Logger, type RedisClient } from '@ripple/shared/node';
import type { WorkerConfig } from './config.js';
import { fanOutChunk } from './fan-out.js';

interface StreamEntry {
  id: string;
  message: Record<string, string>;
}

export interface ConsumerDeps {
  /** Connection for the blocking XREADGROUP; nothing else may use it. */
  reader: RedisClient;
  /** Connection for everything else. */
  redis: RedisClient;
  config: WorkerConfig;
  log: Logger;
}

export interface FanoutConsumer {
  /** Stops reading, hands back the chunk in progress, and resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Resolves when the loop ends. */
  readonly finished: Promise<void>;
}

/**
 * The worker's loop: read fan-out entries through the consumer group, deliver them, ack them.
 * Entries left pending by a dead consumer are claimed after `claimIdleMs`; entries in hand
 * when Redis goes away are retried with backoff until it is back.
 */
export function startConsumer(deps: ConsumerDeps): FanoutConsumer {
  const { reader, redis, config, log } = deps;
  const stream = keys.fanoutStream;
  const group = keys.fanoutGroup;
  let stopping = false;

  async function ensureGroup(): Promise<void> {
    try {
      // From the start of the stream: entries added before any worker ever ran are work too.
      await redis.xGroupCreate(stream, group, '0', { MKSTREAM: true });
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }

  async function claimStalled(): Promise<StreamEntry[]> {
    const claimed = await redis.xAutoClaim(stream, group, config.consumerName, config.claimIdleMs, '0-0', { COUNT: 1 });
    return claimed.messages.filter((m): m is StreamEntry => m !== null);
  }

  async function readNew(): Promise<StreamEntry[]> {
    const reply = await reader.xReadGroup(group, config.consumerName, { key: stream, id: '>' }, { COUNT: 1, BLOCK: config.blockMs });
    return (reply as { messages: StreamEntry[] }[] | null)?.[0]?.messages ?? [];
  }

  async function deadLetter(entry: StreamEntry, reason: string): Promise<void> {
    await redis
      .multi()
      .xAdd(keys.deadLetterStream, '*', { ...entry.message, sourceId: entry.id, reason })
      .xAck(stream, group, entry.id)
      .xDel(stream, entry.id)
      .exec();
  }

  async function deliver(entry: StreamEntry): Promise<void> {
    const parsed = fanoutEntrySchema.safeParse(entry.message);
    if (!parsed.success) {
      log.warn({ entryId: entry.id }, 'malformed fan-out entry moved to dead letters');
      await deadLetter(entry, `malformed entry: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    let lastHeartbeat = Date.now();
    const outcome = await fanOutChunk(redis, config, parsed.data, {
      shouldStop: () => stopping,
      afterPage: async () => {
        // Claiming our own entry resets its idle time, so a long chunk is not taken from a live worker.
        if (Date.now() - lastHeartbeat < config.claimIdleMs / 3) return;
        lastHeartbeat = Date.now();
        await redis.xClaimJustId(stream, group, config.consumerName, 0, entry.id);
      },
    });
    const done = redis.multi();
    // A stopped chunk goes back on the stream at once rather than waiting to be claimed; its
    // cursor lives in the job record, so whoever takes it resumes where this worker stopped.
    if (outcome === 'stopped') done.xAdd(stream, '*', entry.message);
    // Acknowledged entries are deleted so the stream holds only outstanding work.
    await done.xAck(stream, group, entry.id).xDel(stream, entry.id).exec();
    log.debug({ entryId: entry.id, job: parsed.data.job, outcome }, 'chunk finished');
  }

  async function run(): Promise<void> {
    let lastClaimCheck = 0;
    let failures = 0;
    let inHand: StreamEntry[] = [];
    while (!stopping) {
      try {
        if (inHand.length === 0) {
          await ensureGroupOnce();
          if (Date.now() - lastClaimCheck >= config.claimIdleMs / 2) {
            lastClaimCheck = Date.now();
            inHand = await claimStalled();
          }
          if (inHand.length === 0) inHand = await readNew();
        }
        while (inHand.length > 0) {
          await deliver(inHand[0]!);
          inHand.shift();
        }
        failures = 0;
      } catch (err) {
        failures++;
        // A Redis that restarted without its data has lost the group too; make it again.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) groupReady = false;
        const wait = Math.min(100 * 2 ** Math.min(failures, 5), 3000) * (0.5 + Math.random() / 2);
        if (isRedisUnavailable(err)) log.warn({ err: String(err), wait }, 'redis unavailable; retrying');
        else log.error({ err }, 'fan-out failed; retrying');
        await delay(wait);
      }
    }
  }

  let groupReady = false;
  async function ensureGroupOnce(): Promise<void> {
    if (groupReady) return;
    await ensureGroup();
    groupReady = true;
  }

  const finished = run();
  return {
    finished,
    async stop() {
      stopping = true;
      await finished;
    },
  };
}
