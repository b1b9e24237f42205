import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  test: {
    // Two test files at a time, whatever the cores (Vitest's default on two cores is one): most
    // of an integration file's time is spent waiting on the Redis servers and processes it
    // starts (claim times, restarts, polls), so two overlap well. On this 2-core box Vitest took
    // 579–672 s over six runs of `npm test`, against 1 064 s one at a time on the suite a few
    // commits before (2026-12-01). Timing-sensitive tests compare within one run, and
    // the soak posts at 30 % of the drain rate it measures, so both hold with a neighbour.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['shared/src/**/*.test.ts', 'server/src/**/*.test.ts', 'worker/src/**/*.test.ts', 'bench/**/*.test.ts'],
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'client',
          environment: 'jsdom',
          include: ['client/src/**/*.test.{ts,tsx}'],
          setupFiles: ['client/src/test-setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          setupFiles: ['test/support/setup-process-logs.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The same promises on a Redis Cluster: these files take their Redis from
        // test/support/redis-under-test.ts, which starts a 3-master, 3-replica cluster here.
        // Not here: the soak (its fault injector kills and restarts one redis-server) and the
        // files about one redis-server's own settings and records, or about clusters already.
        test: {
          name: 'cluster',
          environment: 'node',
          include: [
            'test/api.test.ts',
            'test/delete.test.ts',
            'test/accounts.test.ts',
            'test/realtime.test.ts',
            'test/crash-recovery.test.ts',
            'test/fan-out.test.ts',
            'test/lanes.test.ts',
            'test/worker-claims.test.ts',
            'test/stream-hygiene.test.ts',
            'test/presence.test.ts',
            'test/admission-and-outage.test.ts',
            'test/fair-share.test.ts',
            'test/scheduled-tweets.test.ts',
            'test/inline.test.ts',
            'test/journey.test.ts',
            'test/on-read.test.ts',
            'test/inactive.test.ts',
          ],
          env: { RIPPLE_TEST_REDIS: 'cluster' },
          setupFiles: ['test/support/setup-process-logs.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          setupFiles: ['test/support/setup-process-logs.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e-cluster',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          env: { RIPPLE_TEST_REDIS: 'cluster' },
          globalSetup: ['test/e2e/global-setup.ts'],
          setupFiles: ['test/support/setup-process-logs.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
