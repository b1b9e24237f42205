import { describe, expect, it } from 'vitest';
import { act, renderHook } from '@testing-library/react';
import { useLatestReducer } from './use-latest-reducer';

const add = (total: number, n: number): number => total + n;

describe('useLatestReducer', () => {
  it('starts from init, and latest() sees every dispatched action before React renders it', () => {
    const { result } = renderHook(() => useLatestReducer(add, () => 10));
    expect(result.current[0]).toBe(10);
    const seen: number[] = [];
    act(() => {
      const [, dispatch, latest] = result.current;
      dispatch(1);
      seen.push(latest());
      dispatch(2);
      seen.push(latest());
    });
    expect(seen).toEqual([11, 13]);
    expect(result.current[0]).toBe(13);
    expect(result.current[2]()).toBe(13);
  });
});
