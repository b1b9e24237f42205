import type { JobProgress, TweetDeletion } from './timeline-state';

export interface DeletionStatusProps {
  deletions: TweetDeletion[];
  jobs: Record<string, JobProgress>;
  /** Opens a delete job's journey. */
  onOpenJourney?: (jobId: string) => void;
}

const count = (n: number) => n.toLocaleString('en-US');
const timelines = (n: number) => (n === 1 ? 'timeline' : 'timelines');
/** The deletes shown: the latest few are enough to follow what is under way. */
const SHOWN = 3;

/** How far the user's deletes have come: the same bar as a post's delivery, counting timelines cleaned. */
export function DeletionStatus({ deletions, jobs, onOpenJourney }: DeletionStatusProps) {
  const accepted = deletions.filter((d) => d.send === 'accepted' && d.jobId !== null).slice(0, SHOWN);
  if (accepted.length === 0) return null;
  return (
    <ul className="deletions" aria-label="Deleted tweets">
      {accepted.map((d) => {
        const job = jobs[d.jobId!];
        const text = d.entry.kind === 'tweet' ? d.entry.tweet.text : d.entry.post.text;
        const done = job?.status === 'done';
        return (
          <li key={d.tweetId} className={`card deletion delivery delivery--${done ? 'delivered' : 'delivering'}`} data-tweet-id={d.tweetId}>
            <span className="deletion__text">Deleted “{text}”</span>
            {onOpenJourney && (
              <button
                type="button"
                className="button button--small button--quiet"
                onClick={() => onOpenJourney(d.jobId!)}
                aria-label="Show the delete's journey"
              >
                Journey
              </button>
            )}
            {job && !done && (
              <>
                <progress className="delivery__bar" value={job.delivered} max={Math.max(job.total, 1)} />
                <span className="delivery__text">
                  removed from {count(job.delivered)} of {count(job.total)} {timelines(job.total)}
                </span>
              </>
            )}
            {job && done && (
              <span className="delivery__text">
                removed from {count(job.total)} {timelines(job.total)}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
