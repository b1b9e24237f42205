import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './latency.js';

describe('LatencyRecorder', () => {
  it('reports p50, p99 and max in milliseconds for known samples', () => {
    const recorder = new LatencyRecorder();
    for (let ms = 1; ms <= 100; ms++) recorder.record(ms);
    const summary = recorder.summary();
    expect(summary.count).toBe(100);
    expect(summary.p50).toBe(50);
    expect(summary.p90).toBe(90);
    expect(summary.p99).toBe(99);
    expect(summary.max).toBe(100);
  });

  it('keeps sub-millisecond samples to one decimal', () => {
    const recorder = new LatencyRecorder();
    recorder.record(0.25);
    recorder.record(1.44);
    expect(recorder.summary()).toMatchObject({ count: 2, p50: 0.3, max: 1.4 });
  });

  it('reports a lone slow sample as the max and the tail, not the median', () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 999; i++) recorder.record(2);
    recorder.record(5000);
    const summary = recorder.summary();
    expect(summary.p50).toBe(2);
    expect(summary.p99).toBe(2);
    expect(summary.p999).toBe(2);
    expect(summary.max).toBe(5000);
  });

  it('records minutes-long latencies within 0.1 %', () => {
    const recorder = new LatencyRecorder();
    recorder.record(123_456);
    expect(Math.abs(recorder.summary().p50 - 123_456) / 123_456).toBeLessThan(0.001);
  });

  it('counts a negative sample (clock jitter) as zero', () => {
    const recorder = new LatencyRecorder();
    recorder.record(-3);
    expect(recorder.summary()).toEqual({ count: 1, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });

  it('reports count 0 and zeros for an empty histogram', () => {
    expect(new LatencyRecorder().summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    expect(new LatencyRecorder().spectrum()).toEqual([]);
  });

  it('draws the spectrum from p0 to p99.99 on a nines scale, each point the latency at its percentile', () => {
    const recorder = new LatencyRecorder();
    for (let ms = 1; ms <= 10_000; ms++) recorder.record(ms);
    const spectrum = recorder.spectrum(40);
    expect(spectrum).toHaveLength(41);
    expect(spectrum[0]).toMatchObject({ nines: 0, percentile: 0 });
    expect(spectrum.at(-1)!.nines).toBe(4);
    expect(spectrum.at(-1)!.percentile).toBeCloseTo(99.99, 6);
    // Every tenth step is a whole nine: p0, p90, p99, p99.9, p99.99 of 1…10 000 ms are 1, 9000,
    // 9900, 9990 and 9999 ms; HdrHistogram reports the top of each value's bucket (3 significant
    // digits, so within 0.1 % above), and never more than the largest sample.
    const wholeNines = spectrum.filter((_, i) => i % 10 === 0);
    expect(wholeNines.map((p) => p.nines)).toEqual([0, 1, 2, 3, 4]);
    expect(wholeNines.map((p) => p.ms)).toEqual([1, 9003, 9904.1, 9994.2, 10_000]);
    // And one between them: step 9 is 0.9 nines, p87.41, whose value (8742 ms) reads 8749.1.
    expect(spectrum[9]!.percentile).toBeCloseTo(87.41, 2);
    expect(spectrum[9]!.ms).toBe(8749.1);
  });
});
