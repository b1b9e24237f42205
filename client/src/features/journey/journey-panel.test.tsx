import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { JobJourney, JourneyStep } from '@ripple/shared';
import { fakeRealtime, makeJob } from '../../test/fakes';
import { JourneyPanel } from './journey-panel';
import { formatDuration } from './journey-steps';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const step = (kind: JourneyStep['kind'], ms: number, more: Partial<JourneyStep> = {}): JourneyStep => ({
  kind,
  at: at(ms),
  worker: null,
  from: null,
  outcome: null,
  attempt: null,
  chunks: [],
  error: null,
  dueAt: null,
  ...more,
});

const running: JobJourney = {
  job: makeJob({ id: 'j1', status: 'running', delivered: 40_000, total: 100_000 }),
  steps: [step('accepted', 0), step('queued', 0), step('started', 12, { worker: 'worker 1', attempt: 1, chunks: ['0:0'] })],
  truncated: false,
};
const done: JobJourney = {
  job: makeJob({ id: 'j1', status: 'done', delivered: 100_000, total: 100_000 }),
  steps: [
    ...running.steps,
    step('takeover', 4_012, { worker: 'worker 2', from: 'worker 1', outcome: 'requeued', attempt: 1, chunks: ['0:0'] }),
    step('started', 4_020, { worker: 'worker 2', attempt: 2, chunks: ['0:0'] }),
    step('done', 6_500),
  ],
  truncated: false,
};

function renderPanel(loadJourney: () => Promise<JobJourney>, acceptLatencyMs: number | null = 42, jobId: string | null = 'j1') {
  const socket = fakeRealtime();
  const onClose = vi.fn();
  render(<JourneyPanel loadJourney={loadJourney} realtime={socket.realtime} jobId={jobId} acceptLatencyMs={acceptLatencyMs} onClose={onClose} />);
  const panel = () => within(screen.getByRole('complementary', { name: 'Tweet journey' }));
  const steps = () => [...document.querySelectorAll('.journey__step')].map((li) => li.getAttribute('data-kind'));
  return { socket, onClose, panel, steps };
}

describe('JourneyPanel', () => {
  it("lists the job's steps with the browser's accept latency and the time between steps", async () => {
    const { panel, steps } = renderPanel(async () => running);
    await waitFor(() => expect(steps()).toEqual(['accepted', 'queued', 'started', 'pending']));
    expect(panel().getByText('Accepted in 42 ms')).toBeTruthy();
    expect(panel().getByText('Started by worker 1')).toBeTruthy();
    expect(panel().getByText('attempt 1 (1 chunk: 0:0)')).toBeTruthy();
    expect(panel().getByText('+12 ms')).toBeTruthy();
    expect(panel().getByText(/40,000 of 100,000 delivered \(live\)/)).toBeTruthy();
  });

  it('follows the job live: progress moves the count and fetches the journey again, one request at a time, up to a takeover and done', async () => {
    let answer: (journey: JobJourney) => void = () => {};
    const loadJourney = vi.fn(() => new Promise<JobJourney>((resolve) => (answer = resolve)));
    const { socket, panel, steps } = renderPanel(loadJourney);
    await act(async () => answer(running));
    expect(loadJourney).toHaveBeenCalledTimes(1);

    // Two events while one request is out: one more request after it, not two.
    act(() => socket.emit('fanout:progress', { jobId: 'j1', tweetId: 't1', delivered: 70_000, total: 100_000 }));
    act(() => socket.emit('fanout:progress', { jobId: 'j1', tweetId: 't1', delivered: 80_000, total: 100_000 }));
    act(() => socket.emit('fanout:progress', { jobId: 'other', tweetId: 't2', delivered: 1, total: 2 }));
    expect(panel().getByText(/80,000 of 100,000 delivered/)).toBeTruthy();
    expect(loadJourney).toHaveBeenCalledTimes(2);
    await act(async () => answer(running));
    expect(loadJourney).toHaveBeenCalledTimes(3);
    await act(async () => answer(running));

    act(() => socket.emit('fanout:done', { jobId: 'j1', tweetId: 't1', delivered: 100_000, total: 100_000, durationMs: 6_500 }));
    await act(async () => answer(done));
    expect(steps()).toEqual(['accepted', 'queued', 'started', 'takeover', 'started', 'done']);
    expect(panel().getByText('Taken over by worker 2 from worker 1')).toBeTruthy();
    expect(panel().getByText(/worker 1 stopped beating \(crashed\): attempt 1 counted/)).toBeTruthy();
    expect(panel().getByText(/done 6\.5 s after it was accepted/)).toBeTruthy();
    expect(panel().queryByText(/\(live\)/)).toBeNull();
  });

  it('opened by the tweet, learns its job from the first answer and follows that job from then on', async () => {
    let answer: (journey: JobJourney) => void = () => {};
    const loadJourney = vi.fn(() => new Promise<JobJourney>((resolve) => (answer = resolve)));
    const { socket } = renderPanel(loadJourney, null, null);
    act(() => socket.emit('fanout:progress', { jobId: 'j1', tweetId: 't1', delivered: 1, total: 2 }));
    expect(loadJourney).toHaveBeenCalledTimes(1);
    await act(async () => answer(running));
    act(() => socket.emit('fanout:progress', { jobId: 'j1', tweetId: 't1', delivered: 2, total: 2 }));
    expect(loadJourney).toHaveBeenCalledTimes(2);
  });

  it('says when a retry was scheduled and why; without a latency, accepted says only that', async () => {
    const retried: JobJourney = {
      ...done,
      steps: [step('accepted', 0), step('queued', 0), step('retry', 30, { worker: 'worker 3', attempt: 2, error: 'boom', dueAt: at(530) }), step('done', 900)],
    };
    const { panel } = renderPanel(async () => retried, null);
    await waitFor(() => expect(panel().getByText('Retry scheduled: attempt 2')).toBeTruthy());
    expect(panel().getByText('worker 3 failed: boom; next try in 500 ms')).toBeTruthy();
    expect(panel().getByText('Accepted')).toBeTruthy();
  });

  it('shows a load error, and closes on its button or Escape', async () => {
    const { panel, onClose } = renderPanel(async () => {
      throw new Error('the server is away');
    });
    await waitFor(() => expect(panel().getByRole('alert').textContent).toBe('Could not load the journey: the server is away'));
    fireEvent.click(panel().getByRole('button', { name: 'Close journey' }));
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});

describe('formatDuration', () => {
  it('reads as a person would say it', () => {
    expect([formatDuration(0), formatDuration(850), formatDuration(2_440), formatDuration(185_000)]).toEqual(['0 ms', '850 ms', '2.4 s', '3 min 5 s']);
  });
});
