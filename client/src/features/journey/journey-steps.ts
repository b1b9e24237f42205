import type { JobJourney, JourneyStep } from '@ripple/shared';

/** One line of the panel: what happened, who did it, and how long after the step before. */
export interface JourneyLine {
  key: string;
  kind: JourneyStep['kind'];
  title: string;
  detail: string | null;
  at: string;
  /** ms since the step before; null for the first. */
  sinceBefore: number | null;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const chunksOf = (step: JourneyStep) => (step.chunks.length === 0 ? '' : ` (${plural(step.chunks.length, 'chunk', 'chunks')}: ${step.chunks.join(', ')})`);

/** A duration as a person reads it: "850 ms", "2.4 s", "3 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

function describe(step: JourneyStep, job: JobJourney['job'], acceptLatencyMs: number | null): Pick<JourneyLine, 'title' | 'detail'> {
  switch (step.kind) {
    case 'accepted':
      return {
        title: acceptLatencyMs === null ? 'Accepted' : `Accepted in ${formatDuration(acceptLatencyMs)}`,
        detail: acceptLatencyMs === null ? 'the server answered 202' : 'from sending the post to its 202 answer, as this browser saw it',
      };
    case 'published':
      return { title: 'Published', detail: 'its scheduled time came; a worker moved it onto the fan-out queue' };
    case 'queued':
      return { title: 'Queued', detail: `${plural(job.total, 'delivery', 'deliveries')} waiting for a worker` };
    case 'started':
      return { title: `Started by ${step.worker ?? 'a worker'}`, detail: `attempt ${step.attempt ?? 1}${chunksOf(step)}` };
    case 'takeover':
      return {
        title: `Taken over by ${step.worker ?? 'a worker'} from ${step.from ?? 'a worker'}`,
        detail:
          step.outcome === 'requeued'
            ? `${step.from ?? 'its worker'} stopped beating (crashed): attempt ${step.attempt ?? 1} counted, the entry queued again${chunksOf(step)}`
            : `${step.from ?? 'its worker'} was alive but stalled: run alongside it, no attempt counted${chunksOf(step)}`,
      };
    case 'retry':
      return {
        title: `Retry scheduled: attempt ${step.attempt ?? 2}`,
        detail: `${step.worker ?? 'a worker'} failed: ${step.error ?? 'unknown error'}${step.dueAt ? `; next try in ${formatDuration(Date.parse(step.dueAt) - Date.parse(step.at))}` : ''}`,
      };
    case 'done':
      return { title: 'Done', detail: `${plural(job.delivered, 'timeline', 'timelines')} written` };
    case 'failed':
      return { title: 'Failed', detail: step.error };
  }
}

/** The journey as the panel lists it, with the time between each step and the one before. */
export function journeyLines(journey: JobJourney, acceptLatencyMs: number | null): JourneyLine[] {
  return journey.steps.map((step, i) => {
    const before = journey.steps[i - 1];
    return {
      key: `${i}:${step.kind}`,
      kind: step.kind,
      at: step.at,
      sinceBefore: before ? Date.parse(step.at) - Date.parse(before.at) : null,
      ...describe(step, journey.job, acceptLatencyMs),
    };
  });
}

/** From accepted to done or failed; null while the job is still on its way. */
export function totalDuration(journey: JobJourney): number | null {
  const first = journey.steps[0];
  const last = journey.steps[journey.steps.length - 1];
  if (!first || !last || (last.kind !== 'done' && last.kind !== 'failed')) return null;
  return Date.parse(last.at) - Date.parse(first.at);
}
