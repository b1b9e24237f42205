import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './latency.js';
import { arrivalCount, startOpenLoop, type Arrival } from './open-loop.js';
import { VirtualClock } from './virtual-clock.js';

describe('startOpenLoop', () => {
  it('keeps sending on schedule through a server stall, and the stall shows in the p99 of accept latency', async () => {
    const clock = new VirtualClock();
    const rate = 200;
    const durationS = 3;
    const accept = new LatencyRecorder();
    const sends: { arrival: Arrival; at: number }[] = [];
    let answeredDuringStall = 0;

    // The fake server answers in 1 ms, except that everything sent during [1 s, 2 s) is held
    // until 2 s: it answers nothing at all while it stalls.
    const fakeServer = (sentAt: number): Promise<void> =>
      new Promise((resolve) => {
        const answerAt = sentAt >= 1000 && sentAt < 2000 ? 2000 : sentAt + 1;
        clock.setTimer(resolve, answerAt - clock.now());
      });

    const loop = startOpenLoop({
      rate,
      durationS,
      clock,
      startAt: 0,
      fire(arrival) {
        sends.push({ arrival, at: clock.now() });
        void fakeServer(clock.now()).then(() => {
          const at = clock.now();
          if (at > 1000 && at < 2000) answeredDuringStall += 1;
          accept.record(at - arrival.intendedAt);
        });
      },
    });
    await clock.advance(3_100);

    expect(await loop.finished).toBe(rate * durationS);
    expect(sends).toHaveLength(rate * durationS);
    // Each tweet went out at its intended time, the stalled second included.
    for (const { arrival, at } of sends) expect(at - arrival.intendedAt).toBeLessThan(1);
    expect(sends.filter(({ at }) => at >= 1000 && at < 2000)).toHaveLength(200);
    expect(sends.map((s) => s.arrival.intendedAt)).toEqual(Array.from({ length: 600 }, (_, i) => i * 5));
    expect(answeredDuringStall).toBe(0);

    // 400 answers in 1 ms; the 200 sent during the stall, at 1000, 1005, … 1995 ms, all answered
    // at 2000 ms: 1000, 995, … 5 ms. By rank: p50 is the 300th (1 ms), p90 the 540th (700 ms),
    // p99 the 594th (970 ms), p99.9 and max the 600th (1000 ms). HdrHistogram reports the top of
    // each value's bucket (3 significant digits), hence 700.4 and 970.2.
    expect(accept.summary()).toEqual({ count: 600, p50: 1, p90: 700.4, p99: 970.2, p999: 1000, max: 1000 });
  });

  it('fires the arrivals a blocked event loop missed at once, each keeping its intended time', async () => {
    const clock = new VirtualClock();
    const fired: { arrival: Arrival; at: number }[] = [];
    startOpenLoop({ rate: 100, durationS: 1, clock, startAt: 0, fire: (arrival) => fired.push({ arrival, at: clock.now() }) });
    await clock.advance(0);
    clock.jump(300);
    await clock.advance(0);
    // Arrivals 1..30 were due while the loop was blocked: all go out at 300 ms, none is dropped.
    expect(fired.filter(({ at }) => at === 300).map(({ arrival }) => arrival.intendedAt)).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 10));
    await clock.advance(1000);
    expect(fired).toHaveLength(100);
  });

  it('fires nothing more once stopped', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const loop = startOpenLoop({ rate: 10, durationS: 10, clock, startAt: 0, fire: () => (fired += 1) });
    await clock.advance(450);
    loop.stop();
    await clock.advance(10_000);
    expect(fired).toBe(5);
    expect(await loop.finished).toBe(5);
  });

  it('spreads a handful of arrivals evenly from t = 0, as the celebrity posts', async () => {
    const clock = new VirtualClock();
    const at: number[] = [];
    startOpenLoop({ rate: 4 / 30, durationS: 30, clock, startAt: 0, fire: (a) => at.push(a.intendedAt) });
    await clock.advance(30_000);
    expect(at).toEqual([0, 7500, 15000, 22500]);
    expect(arrivalCount(4 / 30, 30)).toBe(4);
  });

  it('names the second of the schedule each arrival is due in, exactly where a second begins', async () => {
    const clock = new VirtualClock();
    const seconds: number[] = [];
    // At 3 per second the third arrival is due at 999.99… ms by the interval, and at 1 s exactly.
    startOpenLoop({ rate: 3, durationS: 2, clock, startAt: 0, fire: (a) => seconds.push(a.second) });
    await clock.advance(2_000);
    expect(seconds).toEqual([0, 0, 0, 1, 1, 1]);
  });
});
