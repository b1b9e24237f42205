import { z } from 'zod';
import { tweetSchema } from './schemas.js';

export const fanoutProgressSchema = z.object({
  jobId: z.string(),
  tweetId: z.string(),
  delivered: z.number(),
  total: z.number(),
});
export type FanoutProgress = z.infer<typeof fanoutProgressSchema>;

export const fanoutDoneSchema = fanoutProgressSchema.extend({ durationMs: z.number() });
export type FanoutDone = z.infer<typeof fanoutDoneSchema>;

export const fanoutFailedSchema = z.object({ jobId: z.string(), tweetId: z.string(), error: z.string() });
export type FanoutFailed = z.infer<typeof fanoutFailedSchema>;

export const timelineNewSchema = z.object({ tweet: tweetSchema });
export type TimelineNew = z.infer<typeof timelineNewSchema>;

/** Payload schema of each server → client event; the relay validates what workers publish. */
export const serverEventSchemas = {
  'fanout:progress': fanoutProgressSchema,
  'fanout:done': fanoutDoneSchema,
  'fanout:failed': fanoutFailedSchema,
  'timeline:new': timelineNewSchema,
} as const;
export type ServerEventName = keyof typeof serverEventSchemas;

export interface ServerToClientEvents {
  'fanout:progress': (payload: FanoutProgress) => void;
  'fanout:done': (payload: FanoutDone) => void;
  'fanout:failed': (payload: FanoutFailed) => void;
  'timeline:new': (payload: TimelineNew) => void;
}

/** Clients only listen; nothing is sent upstream over the socket. */
export type ClientToServerEvents = Record<string, never>;

export interface SocketData {
  userId: string;
}

/** Socket.IO room holding every socket of one user, on whichever server node. */
export const userRoom = (userId: string): string => `user:${userId}`;
