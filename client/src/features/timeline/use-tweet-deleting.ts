import { useCallback } from 'react';
import { ApiError } from '../../api/api-error';
import type { RippleApi } from '../../api/ripple-api';
import { errorMessage } from './error-message';
import type { TimelineAction } from './timeline-reducer';

/** What the user can do with their own published tweets. */
export interface TweetDeleting {
  /** Takes the tweet off the screen at once, then deletes it; it comes back, with the reason, if that fails. */
  deleteTweet: (tweetId: string) => void;
}

/** Sends deletes and reports each step to the reducer, which holds what is shown. */
export function useTweetDeleting(api: RippleApi, dispatch: (action: TimelineAction) => void): TweetDeleting {
  const deleteTweet = useCallback(
    (tweetId: string) => {
      dispatch({ type: 'delete-started', tweetId });
      api.deleteTweet(tweetId).then(
        (job) => dispatch({ type: 'delete-accepted', tweetId, job }),
        (error: unknown) => {
          // 404: deleted already (another tab, or a repeat that outran the first answer): gone is what was asked.
          if (error instanceof ApiError && error.status === 404) dispatch({ type: 'tweet-deleted', tweetId });
          else dispatch({ type: 'delete-failed', tweetId, message: errorMessage(error) });
        },
      );
    },
    [api, dispatch],
  );
  return { deleteTweet };
}
