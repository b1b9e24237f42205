import { z } from 'zod';
import { jobDeliverySchema, tweetSchema } from './schemas.js';

export const fanoutProgressSchema = z.object({
  jobId: z.string(),
  tweetId: z.string(),
  delivered: z.number(),
  total: z.number(),
});
export type FanoutProgress = z.infer<typeof fanoutProgressSchema>;

export const fanoutDoneSchema = fanoutProgressSchema.extend({
  durationMs: z.number(),
  /** Beyond the contract (an added field): inactive followers the job left out (INACTIVE_AFTER_DAYS), when any. */
  skipped: z.number().optional(),
});
export type FanoutDone = z.infer<typeof fanoutDoneSchema>;

export const fanoutFailedSchema = z.object({ jobId: z.string(), tweetId: z.string(), error: z.string() });
export type FanoutFailed = z.infer<typeof fanoutFailedSchema>;

export const timelineNewSchema = z.object({ tweet: tweetSchema });
export type TimelineNew = z.infer<typeof timelineNewSchema>;

export const tweetDeletedSchema = z.object({ tweetId: z.string() });
export type TweetDeleted = z.infer<typeof tweetDeletedSchema>;

/**
 * To the author, when a scheduled tweet is published: it is now in their timeline (the tweet as
 * they hold it, without `publishAt`), and its job queued with `total` deliveries to make.
 */
/** `delivery`: how the tweet travels, decided only now (FANOUT_ON_READ_THRESHOLD is judged at publication). */
export const tweetPublishedSchema = z.object({ tweetId: z.string(), jobId: z.string(), total: z.number(), delivery: jobDeliverySchema });
export type TweetPublished = z.infer<typeof tweetPublishedSchema>;

/** Payload schema of each server → client event; the relay validates what workers publish. */
export const serverEventSchemas = {
  'fanout:progress': fanoutProgressSchema,
  'fanout:done': fanoutDoneSchema,
  'fanout:failed': fanoutFailedSchema,
  'timeline:new': timelineNewSchema,
  'tweet:deleted': tweetDeletedSchema,
  'tweet:published': tweetPublishedSchema,
} as const;
export type ServerEventName = keyof typeof serverEventSchemas;

export interface ServerToClientEvents {
  'fanout:progress': (payload: FanoutProgress) => void;
  'fanout:done': (payload: FanoutDone) => void;
  'fanout:failed': (payload: FanoutFailed) => void;
  'timeline:new': (payload: TimelineNew) => void;
  'tweet:deleted': (payload: TweetDeleted) => void;
  'tweet:published': (payload: TweetPublished) => void;
}

/** Clients only listen; nothing is sent upstream over the socket. */
export type ClientToServerEvents = Record<string, never>;

export interface SocketData {
  userId: string;
  /** When the token the socket authenticated with expires (ms since the epoch). */
  tokenExpiresAt: number;
}

/**
 * One second of the whole system, as the dashboard shows it. Every server node computes it
 * from the same counters in Redis, so it does not matter which node a dashboard talks to.
 */
export const dashboardSnapshotSchema = z.object({
  /** ms since the epoch. */
  t: z.number(),
  backlog: z.number(),
  deliveriesPerSecond: z.number(),
  acceptedPerSecond: z.number(),
  refusedPerSecond: z.number(),
  /** Fan-out duration (post → done) percentiles over the last minute; null with no fan-outs. */
  fanoutP50Ms: z.number().nullable(),
  fanoutP99Ms: z.number().nullable(),
  workersAlive: z.number(),
  deadLetters: z.number(),
  /**
   * Cores each process kept busy over its last second: every server, worker and Redis (each
   * master on a cluster), numbered per role. Absent from an older server's snapshots.
   */
  cpu: z
    .array(
      z.object({
        role: z.enum(['server', 'worker', 'redis']),
        process: z.string(),
        cores: z.number(),
        /** A worker's activity over its last second: fan-out entries run to their end, and the deliveries they counted. */
        entriesPerSecond: z.number().optional(),
        deliveriesPerSecond: z.number().optional(),
      }),
    )
    .default([]),
  /** Scheduled tweets waiting for their time: the publish schedules' sizes summed. Absent from an older server's snapshots. */
  scheduledWaiting: z.number().default(0),
  /** Tweets sent on their way per second, by how they travel (the stats' delivery counters): posted, or scheduled and published. Absent from an older server's snapshots. */
  deliveryMix: z.object({ fanOut: z.number(), inline: z.number(), onRead: z.number() }).default({ fanOut: 0, inline: 0, onRead: 0 }),
});
export type DashboardSnapshot = z.infer<typeof dashboardSnapshotSchema>;

/** The dashboard's namespace needs no sign-in: it shows only system-wide numbers. */
export const DASHBOARD_NAMESPACE = '/dashboard';

export interface DashboardToClientEvents {
  /** Sent once on connect: the recent past, oldest first, so charts start full. */
  'dashboard:history': (snapshots: DashboardSnapshot[]) => void;
  /** Sent every second. */
  'dashboard:stats': (snapshot: DashboardSnapshot) => void;
}

/** Socket.IO room holding every socket of one user, on whichever server node. */
export const userRoom = (userId: string): string => `user:${userId}`;
