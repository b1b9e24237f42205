import { z } from 'zod';
import { jobField, jobView, JOURNEY_MAX_STEPS, JOURNEY_STEP_KINDS, journeyStepField as f, type JobJourney, type JourneyStep } from '@ripple/shared';
import { keysOf, processNumbers, readProcessCpu, type RedisClient } from '@ripple/shared/node';

/** A step as the scripts store it (records/journey-record.ts); one that does not parse is left out. */
const storedStepSchema = z.object({
  [f.kind]: z.enum(JOURNEY_STEP_KINDS),
  [f.at]: z.coerce.number(),
  [f.worker]: z.string().optional(),
  [f.from]: z.string().optional(),
  [f.outcome]: z.enum(['requeued', 'alive']).optional(),
  [f.attempt]: z.coerce.number().optional(),
  [f.chunks]: z.string().optional(),
  [f.error]: z.string().optional(),
  [f.dueAt]: z.coerce.number().optional(),
  [f.scheduledAt]: z.coerce.number().optional(),
});
type StoredStep = z.infer<typeof storedStepSchema>;

/** What a worker no longer listed among the running processes (gone for minutes) is called. */
const GONE_WORKER = 'a worker since gone';

const iso = (ms: number): string => new Date(ms).toISOString();
const msOf = (isoTime: string | null): number | null => (isoTime === null ? null : Date.parse(isoTime));

function parseSteps(list: readonly string[]): StoredStep[] {
  return list.flatMap((raw) => {
    try {
      const step = storedStepSchema.safeParse(JSON.parse(raw));
      return step.success ? [step.data] : [];
    } catch {
      return [];
    }
  });
}

/** An entry's chunks as the API names them (`bucket:start`), from either spelling the scripts store. */
const chunkIdsOf = (chunks: string | undefined): string[] =>
  (chunks ?? '')
    .split(' ')
    .filter((c) => c !== '')
    .map((c) => c.split(':').slice(0, 2).join(':'));

const jobStep = (kind: JourneyStep['kind'], at: number, error: string | null = null): JourneyStep => ({
  kind,
  at: iso(at),
  worker: null,
  from: null,
  outcome: null,
  attempt: null,
  chunks: [],
  error,
  dueAt: null,
});

/**
 * A job's journey and its author (who alone may read it), or null when there is no such job.
 * The job hash gives the job's own steps, its journey list what happened to its entries;
 * workers are numbered from the running processes' CPU reports, as the dashboard numbers them.
 */
export async function readJobJourney(redis: RedisClient, jobId: string): Promise<{ journey: JobJourney; authorId: string } | null> {
  const k = keysOf(redis);
  const [stored, list, processes] = await Promise.all([redis.hGetAll(k.job(jobId)), redis.lRange(k.journey(jobId), 0, -1), readProcessCpu(redis)]);
  const job = jobView(stored);
  if (!job) return null;
  const numbers = processNumbers(processes);
  const workerName = (consumer: string | undefined): string | null => {
    if (consumer === undefined) return null;
    const n = numbers.get(`worker:${consumer}`);
    return n === undefined ? GONE_WORKER : `worker ${n}`;
  };

  const recorded = parseSteps(list);
  const published = recorded.find((s) => s[f.kind] === 'published');
  const enqueuedAt = Date.parse(job.enqueuedAt);
  const steps: JourneyStep[] = [jobStep('accepted', published?.[f.scheduledAt] ?? enqueuedAt)];
  if (published) steps.push(jobStep('published', published[f.at]));
  // An inline or on-read job is never on a lane: it is done in the request or at admission.
  if (job.status !== 'scheduled' && job.delivery === 'fan-out') steps.push(jobStep('queued', enqueuedAt));
  const ofEntries = recorded
    .filter((s) => s[f.kind] !== 'published')
    .sort((a, b) => a[f.at] - b[f.at])
    .map((s): JourneyStep => {
      const dueAt = s[f.dueAt];
      return {
        kind: s[f.kind],
        at: iso(s[f.at]),
        worker: workerName(s[f.worker]),
        from: workerName(s[f.from]),
        outcome: s[f.outcome] ?? null,
        attempt: s[f.attempt] ?? null,
        chunks: chunkIdsOf(s[f.chunks]),
        error: s[f.error] ?? null,
        dueAt: dueAt === undefined ? null : iso(dueAt),
      };
    });
  steps.push(...ofEntries);
  const finishedAt = msOf(job.finishedAt);
  if (finishedAt !== null && (job.status === 'done' || job.status === 'failed')) steps.push(jobStep(job.status, finishedAt, job.error));
  return { journey: { job, steps, truncated: list.length >= JOURNEY_MAX_STEPS }, authorId: stored[jobField.authorId] ?? '' };
}
