import { describe, expect, it } from 'vitest';
import { ServerSampler, type ServerReading } from './server-sampler.js';
import { VirtualClock } from './virtual-clock.js';

describe('ServerSampler', () => {
  it('reads once a second and turns the delivery counter into deliveries per second', async () => {
    const clock = new VirtualClock();
    const readings: ServerReading[] = [
      { backlog: 0, deliveriesTotal: 1000 },
      { backlog: 500, deliveriesTotal: 3000 },
      { backlog: 800, deliveriesTotal: 8000 },
      { backlog: 0, deliveriesTotal: 9000 },
    ];
    const sampler = new ServerSampler(async () => readings.shift() ?? { backlog: 0, deliveriesTotal: 9000 }, clock);
    sampler.start(0);
    await clock.advance(3_000);
    expect(sampler.latestBacklog).toBe(0);
    expect(sampler.series()).toEqual([
      { t: 0, backlog: 0, deliveriesPerSecond: 0 },
      { t: 1, backlog: 500, deliveriesPerSecond: 2000 },
      { t: 2, backlog: 800, deliveriesPerSecond: 5000 },
      { t: 3, backlog: 0, deliveriesPerSecond: 1000 },
    ]);
    expect(sampler.overallDeliveriesPerSecond()).toBe(2666.7);
  });

  it('skips a second whose reading failed, and never reads twice at once', async () => {
    const clock = new VirtualClock();
    let inFlight = 0;
    let most = 0;
    let n = 0;
    const sampler = new ServerSampler(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      n += 1;
      // The third reading takes 2.5 s; the second fails.
      await new Promise<void>((resolve) => clock.setTimer(resolve, n === 3 ? 2500 : 10));
      inFlight -= 1;
      if (n === 2) throw new Error('timeout');
      return { backlog: n, deliveriesTotal: n * 100 };
    }, clock);
    sampler.start(0);
    await clock.advance(6_000);
    sampler.halt();
    expect(most).toBe(1);
    const ts = sampler.series().map((p) => p.t);
    expect(ts).not.toContain(1);
    expect(ts.slice(0, 3)).toEqual([0, 2, 5]);
  });
});
