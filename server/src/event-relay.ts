import { setTimeout as delay } from 'node:timers/promises';
import { eventEntryField, serverEventSchemas, userRoom, type ServerEventName } from '@ripple/shared';
import { keysOf, type Logger, type RedisClient } from '@ripple/shared/node';
import type { RippleIo } from './realtime.js';

export interface EventRelayDeps {
  /** Connection for the relay's reads (blocking on a single Redis); nothing else may use it. */
  reader: RedisClient;
  io: RippleIo;
  log: Logger;
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
export function startEventRelay({ reader, io, log }: EventRelayDeps): EventRelay {
  let stopping = false;
  const keys = keysOf(reader);
  const blocking = keys.layout.buckets === 1;

  function emitToRooms(fields: Record<string, string>): void {
    const event = fields[eventEntryField.event];
    const to = fields[eventEntryField.to];
    const payload = fields[eventEntryField.payload];
    if (!isEventName(event) || !to || !payload) return;
    const parsed = serverEventSchemas[event].safeParse(JSON.parse(payload));
    if (!parsed.success) {
      log.warn({ event }, 'dropped malformed event');
      return;
    }
    const rooms = to.split(',').map(userRoom);
    (io.to(rooms).emit as (name: string, body: unknown) => boolean)(event, parsed.data);
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
            emitToRooms(entry.message);
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
