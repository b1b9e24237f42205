import { setTimeout as delay } from 'node:timers/promises';
import { keys, serverEventSchemas, userRoom, type ServerEventName } from '@ripple/shared';
import type { Logger, RedisClient } from '@ripple/shared/node';
import type { RippleIo } from './realtime.js';

export interface EventRelayDeps {
  /** Connection for the blocking XREAD; nothing else may use it. */
  reader: RedisClient;
  io: RippleIo;
  log: Logger;
}

export interface EventRelay {
  stop(): Promise<void>;
}

const isEventName = (name: string | undefined): name is ServerEventName => !!name && name in serverEventSchemas;

/**
 * Relays events that workers publish on the events stream to this node's sockets. Every server
 * node reads the whole stream and emits to the rooms it holds, so an event reaches a user
 * whichever node their socket is connected to. After a Redis outage it resumes from the last
 * entry it saw, so events published meanwhile still arrive.
 */
export function startEventRelay({ reader, io, log }: EventRelayDeps): EventRelay {
  let stopping = false;
  // The id of the last entry seen. '$' would mean "whatever is newest when the next XREAD
  // arrives", which silently skips entries added between two reads or during an outage.
  let lastId: string | null = null;

  async function currentEnd(): Promise<string> {
    const [newest] = (await reader.xRevRange(keys.eventsStream, '+', '-', { COUNT: 1 })) ?? [];
    return newest?.id ?? '0-0';
  }

  function relay(fields: Record<string, string>): void {
    const { event, to, payload } = fields;
    if (!isEventName(event) || !to || !payload) return;
    const parsed = serverEventSchemas[event].safeParse(JSON.parse(payload));
    if (!parsed.success) {
      log.warn({ event }, 'dropped malformed event');
      return;
    }
    const rooms = to.split(',').map(userRoom);
    (io.to(rooms).emit as (name: string, body: unknown) => boolean)(event, parsed.data);
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        lastId ??= await currentEnd();
        const reply = (await reader.xRead({ key: keys.eventsStream, id: lastId }, { BLOCK: 1000, COUNT: 500 })) as
          | { messages: { id: string; message: Record<string, string> }[] }[]
          | null;
        for (const entry of reply?.[0]?.messages ?? []) {
          lastId = entry.id;
          try {
            relay(entry.message);
          } catch (err) {
            log.warn({ err: String(err) }, 'dropped unreadable event');
          }
        }
        failures = 0;
      } catch (err) {
        failures++;
        log.warn({ err: String(err) }, 'event relay read failed; retrying');
        await delay(Math.min(100 * 2 ** Math.min(failures, 5), 2000));
      }
    }
  }

  const finished = run();
  return {
    async stop() {
      stopping = true;
      await finished;
    },
  };
}
