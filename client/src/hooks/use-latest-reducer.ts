import { useCallback, useReducer, useRef } from 'react';

/**
 * `useReducer`, plus `latest()`: the state with every action dispatched so far applied, even
 * those React has not rendered yet. Callbacks read it instead of a copy of the state kept by
 * hand, so a second click before the re-render already sees what the first one did.
 * The reducer must be pure (it runs here and again in React) and should not change identity.
 */
export function useLatestReducer<S, A>(reducer: (state: S, action: A) => S, init: () => S): [S, (action: A) => void, () => S] {
  const [state, dispatch] = useReducer(reducer, undefined, init);
  const latestState = useRef(state);
  const dispatchLatest = useCallback(
    (action: A) => {
      latestState.current = reducer(latestState.current, action);
      dispatch(action);
    },
    [reducer],
  );
  const latest = useCallback(() => latestState.current, []);
  return [state, dispatchLatest, latest];
}
