import { describe, expect, it } from 'vitest';
import { DeliveryTracker } from './delivery-tracker.js';

const audience = new Set(['f1', 'f2', 'f3']);

describe('DeliveryTracker', () => {
  it('measures every stage from the intended send time, not from when the answer came', () => {
    const tracker = new DeliveryTracker();
    const ticket = tracker.sending(1000, audience, 1, 1000);
    tracker.accepted(ticket, 't1', 1250);
    tracker.timelineNew('t1', 'f2', 1300);
    tracker.timelineNew('t1', 'f1', 1400);
    tracker.timelineNew('t1', 'f3', 1500);
    tracker.fanoutDone('t1', 1600);
    const s = tracker.summaries();
    expect(s.accept).toMatchObject({ count: 1, max: 250 });
    expect(s.firstDelivery).toMatchObject({ count: 1, max: 300 });
    expect(s.onlineDelivery).toMatchObject({ count: 3, max: 500 });
    // HdrHistogram answers the top of the value's bucket: within 0.1 % at 3 significant digits.
    expect(Math.abs(s.onlineDelivery.p50 - 400)).toBeLessThanOrEqual(0.4);
    expect(s.complete).toMatchObject({ count: 1, max: 600 });
    expect(tracker.counts).toEqual({ sent: 1, accepted: 1, refused: 0, failed: 0, done: 1 });
    expect([tracker.posting, tracker.running, tracker.awaitingDeliveries]).toEqual([0, 0, 0]);
  });

  it('counts socket events that overtook the 202 once the 202 names their tweet', () => {
    const tracker = new DeliveryTracker();
    const ticket = tracker.sending(0, audience, 0, 0);
    tracker.timelineNew('t1', 'f3', 30);
    tracker.timelineNew('t1', 'f1', 20);
    tracker.fanoutDone('t1', 40);
    expect(tracker.summaries().complete.count).toBe(0);
    tracker.accepted(ticket, 't1', 50);
    const s = tracker.summaries();
    expect(s.firstDelivery).toMatchObject({ count: 1, max: 20 });
    expect(s.onlineDelivery.count).toBe(2);
    expect(s.complete).toMatchObject({ count: 1, max: 40 });
    expect(tracker.running).toBe(0);
    expect(tracker.awaitingDeliveries).toBe(1);
  });

  it("counts each online follower once per tweet, and only the author's own followers", () => {
    const tracker = new DeliveryTracker();
    tracker.accepted(tracker.sending(0, audience, 0, 0), 't1', 5);
    tracker.timelineNew('t1', 'f1', 10);
    tracker.timelineNew('t1', 'f1', 11);
    tracker.timelineNew('t1', 'stranger', 12);
    tracker.fanoutDone('t1', 20);
    tracker.fanoutDone('t1', 30);
    const s = tracker.summaries();
    expect(s.onlineDelivery.count).toBe(1);
    expect(s.complete.count).toBe(1);
    expect(tracker.counts.done).toBe(1);
  });

  it('counts refusals, tweets given up on and failed jobs', () => {
    const tracker = new DeliveryTracker();
    const gaveUp = tracker.sending(0, audience, 0, 0);
    tracker.refusal(503);
    tracker.refusal(429);
    tracker.refusal(503);
    tracker.gaveUp(gaveUp);
    tracker.accepted(tracker.sending(10, audience, 0, 10), 't2', 20);
    tracker.fanoutFailed('t2');
    expect(tracker.counts).toEqual({ sent: 2, accepted: 1, refused: 3, failed: 2, done: 0 });
    expect(tracker.refusedByStatus).toEqual({ 429: 1, 503: 2 });
    expect([tracker.posting, tracker.running, tracker.awaitingDeliveries]).toEqual([0, 0, 0]);
  });

  it('keeps accept and online delivery by the second each tweet was due in, events that overtook the 202 included', () => {
    const tracker = new DeliveryTracker();
    const late = tracker.sending(100, audience, 0, 100);
    tracker.timelineNew('t1', 'f1', 450);
    tracker.accepted(late, 't1', 400);
    tracker.accepted(tracker.sending(1100, audience, 1, 1100), 't2', 1105);
    tracker.timelineNew('t2', 'f2', 1120);
    tracker.timelineNew('t2', 'f2', 1900);
    const { accept, onlineDelivery } = tracker.bySecond;
    expect([accept.at(0), accept.at(1)]).toEqual([
      { count: 1, p50: 300, p99: 300, max: 300 },
      { count: 1, p50: 5, p99: 5, max: 5 },
    ]);
    expect([onlineDelivery.at(0).max, onlineDelivery.at(1)]).toEqual([350, { count: 1, p50: 20, p99: 20, max: 20 }]);
  });

  it('keeps how late each tweet went out by its second', () => {
    const tracker = new DeliveryTracker();
    tracker.sending(100, audience, 0, 112);
    tracker.sending(900, audience, 0, 900.5);
    tracker.sending(1000, audience, 1, 1003);
    expect([tracker.bySecond.sendLag.at(0), tracker.bySecond.sendLag.at(1).max]).toEqual([{ count: 2, p50: 0.5, p99: 12, max: 12 }, 3]);
  });
});
