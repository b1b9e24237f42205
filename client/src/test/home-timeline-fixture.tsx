import { useState } from 'react';
import { screen } from '@testing-library/react';
import type { RippleApi } from '../api/ripple-api';
import type { Realtime } from '../api/socket';
import { ComposeBox } from '../features/compose/compose-box';
import { HomeTimeline } from '../features/timeline/home-timeline';
import { createOutboxStore } from '../features/timeline/outbox-store';
import { useHomeTimeline } from '../features/timeline/use-home-timeline';
import { makeTweet } from './fakes';

/** The signed-in user of the home-timeline tests. */
export const me = { id: 'u-me', handle: 'me' };

/** What the server answers for the tweet `me` posts as 'hello world'. */
export const ownTweet = makeTweet('000000000010', 'me', 'hello world');

export interface ComposedTimelineProps {
  api: RippleApi;
  realtime: Realtime;
  /** Where unsent posts survive a reload. @defaultValue `window.localStorage` */
  storage?: Storage;
}

/** The timeline composed as `HomePage` composes it, without the rest of the page. */
export function ComposedTimeline({ api, realtime, storage = window.localStorage }: ComposedTimelineProps) {
  const [outbox] = useState(() => createOutboxStore(storage, me.id));
  const timeline = useHomeTimeline(api, realtime, outbox);
  return (
    <>
      <ComposeBox onPost={timeline.post} />
      <HomeTimeline timeline={timeline} me={me} />
    </>
  );
}

export const articles = () => screen.getAllByRole('article');
export const topArticle = () => articles()[0]!;
