import { setTimeout as delay } from 'node:timers/promises';
import { eventEntryField, serverEventSchemas, userRoom, type ServerEventName } from '@ripple/shared';
import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import type { RippleIo } from './realtime.js';
import { getTweet } from './store/tweets.js';

export interface EventRelayDeps {
  /** Connection for the relay's reads (blocking on a single Redis); nothing else may use it. */
  reader: RedisClient;
  /** Connection for the lookups an on-read event needs (who of this node's users follows, the tweet). */
  redis: RedisClient;
  io: RippleIo;
  log: Logger;
  /** The users with a socket on this node (presence.ts). */
  localUsers: () => Iterable<string>;
}

export interface EventRelay {
  stop(): Promise<void>;
}

const isEventName = (name: string | undefined): name is ServerEventName => !!name && name in serverEventSchemas;

/**
 * How often a bucket's stream is read when it had nothing, on a cluster. There a read cannot
 * span buckets (slots), and blocking reads of several buckets would queue behind each other on
 * a master's one connection; so each bucket is polled, a read per bucket every POLL_MS while
 * idle: 16 buckets cost a server node about 300 cheap reads a second, and an event waits 25 ms
 * on average. A single Redis has one stream, read with a blocking XREAD as soon as it has news.
 */
const POLL_MS = 50;

/**
 * Relays events that workers publish on the events streams (one per bucket) to this node's
 * sockets. Every server node reads every stream and emits to the rooms it holds, so an event
 * reaches a user whichever node their socket is connected to. After a Redis outage or a
 * failover it resumes each stream from the last entry it saw, so events published meanwhile
 * still arrive.
 *
 * Why not @socket.io/redis-streams-adapter, which runs a similar read loop: that adapter
 * carries Socket.IO's own msgpack packets between server nodes, so only a Socket.IO server can
 * publish. Here most events are written by Lua scripts inside Redis, in the same atomic step
 * as the change they report (deliver-page.lua appends the progress event with the pages it
 * writes), and a script cannot produce the adapter's packets. The adapter also reads one
 * stream, where a cluster needs one per bucket so that each event lands in the slot of the
 * write it reports. What the adapter would add (node-to-node broadcast) Ripple does not need:
 * every node reads every stream.
 */
export function startEventRelay({ reader, redis, io, log, localUsers }: EventRelayDeps): EventRelay {
  let stopping = false;
  const keys = keysOf(reader);
  const blocking = keys.layout.buckets === 1;

  /**
   * The users of this node who follow `authorId` with a score up to `followSeq`: for a tweet that
   * went out on read, no page lists its followers, and a million of them must cost no more than
   * the users online. One ZMSCORE per bucket holding users of this node, in parallel.
   */
  async function localFollowers(authorId: string, followSeq: number): Promise<string[]> {
    const byBucket = new Map<number, string[]>();
    for (const user of localUsers()) {
      if (user === authorId) continue;
      const bucket = keys.layout.bucketOf(user);
      const users = byBucket.get(bucket);
      if (users) users.push(user);
      else byBucket.set(bucket, [user]);
    }
    const found = await Promise.all(
      [...byBucket].map(async ([bucket, users]) => {
        const scores = await redis.zmScore(keys.followers(bucket, authorId), users);
        return users.filter((_, i) => scores[i] != null && scores[i] <= followSeq);
      }),
    );
    return found.flat();
  }

  async function recipientsOf(fields: Record<string, string>): Promise<string[]> {
    const to = fields[eventEntryField.to];
    if (to) return to.split(',');
    const [authorId, followSeq] = (fields[eventEntryField.followersOf] ?? '').split(':');
    return authorId && followSeq ? localFollowers(authorId, Number(followSeq)) : [];
  }

  /** The payload as JSON: given, or for timeline:new of a tweet gone out on read, the tweet read now (null once deleted). */
  async function payloadOf(fields: Record<string, string>): Promise<unknown> {
    const payload = fields[eventEntryField.payload];
    if (payload) return JSON.parse(payload);
    const seq = fields[eventEntryField.tweet];
    const tweet = seq ? await getTweet(redis, seq) : null;
    return tweet && { tweet };
  }

  async function emitToRooms(fields: Record<string, string>): Promise<void> {
    const event = fields[eventEntryField.event];
    if (!isEventName(event)) return;
    const recipients = await recipientsOf(fields);
    if (recipients.length === 0) return;
    const payload = await payloadOf(fields);
    if (payload === null) return;
    const parsed = serverEventSchemas[event].safeParse(payload);
    if (!parsed.success) {
      log.warn({ event }, 'dropped malformed event');
      return;
    }
    (io.to(recipients.map(userRoom)).emit as (name: string, body: unknown) => boolean)(event, parsed.data);
  }

  async function followStream(bucket: number): Promise<void> {
    const stream = keys.eventsStream(bucket);
    // The id of the last entry seen. '$' would mean "whatever is newest when the next XREAD
    // arrives", which silently skips entries added between two reads or during an outage.
    let lastId: string | null = null;
    let failures = 0;
    while (!stopping) {
      try {
        if (lastId === null) {
          const [newest] = (await reader.xRevRange(stream, '+', '-', { COUNT: 1 })) ?? [];
          lastId = newest?.id ?? '0-0';
        }
        const reply = (await reader.xRead({ key: stream, id: lastId }, blocking ? { BLOCK: 1000, COUNT: 500 } : { COUNT: 500 })) as
          { messages: { id: string; message: Record<string, string> }[] }[] | null;
        const entries = reply?.[0]?.messages ?? [];
        for (const entry of entries) {
          lastId = entry.id;
          try {
            await emitToRooms(entry.message);
          } catch (err) {
            log.warn({ err: String(err) }, 'dropped unreadable event');
          }
        }
        failures = 0;
        if (!blocking && entries.length === 0) await delay(POLL_MS);
      } catch (err) {
        failures++;
        log.warn({ err: String(err), bucket }, 'event relay read failed; retrying');
        await delay(Math.min(100 * 2 ** Math.min(failures, 5), 2000));
      }
    }
  }

  const finished = Promise.all(keys.layout.all.map(followStream));
  return {
    async stop() {
      stopping = true;
      await finished;
    },
  };
}
