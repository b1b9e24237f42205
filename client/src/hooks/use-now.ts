import { useEffect, useState } from 'react';

/** The time (epoch ms) as of the last tick, re-read every `everyMs`: for countdowns and checks against the clock. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
