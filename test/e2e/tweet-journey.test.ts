import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { authorAndFollowerPages } from '../support/browser-pages.js';
import { onSingleRedis } from '../support/redis-under-test.js';

const screenshotPath = fileURLToPath(new URL('../../docs/journey.png', import.meta.url));

/** Small pages, so the chunks take long enough to kill a worker in the middle; quick claims, so the takeover follows soon. */
const workerEnv = { FANOUT_PAGE_SIZE: '10', FANOUT_CLAIM_IDLE_MS: '1000' };

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack({ workerEnv });
  await stack.addWorker(workerEnv);
});
afterAll(async () => {
  await stack?.stop();
});

describe("a tweet's journey in the browser", () => {
  it('opens from the author’s own tweet and follows its fan-out to 100 000 followers live, through a worker killed mid-way', async () => {
    const { authorPage: erin } = await authorAndFollowerPages(stack, 'erin', 'frank');
    const text = 'Where does this one go? Click to see.';
    await erin.getByLabel("What's happening?").fill(text);
    await erin.getByRole('button', { name: 'Post' }).click();
    const card = erin.locator('article', { hasText: text });
    await expect.poll(() => card.getAttribute('data-tweet-id'), { timeout: 10_000 }).toMatch(/^\d+$/);

    await card.locator('.tweet__text').click();
    const panel = erin.getByRole('complementary', { name: 'Tweet journey' });
    await panel.waitFor();
    await expect.poll(() => panel.locator('[data-kind="accepted"]').textContent(), { timeout: 10_000 }).toMatch(/Accepted in \d+ ms/);
    // Live: chunks start while the panel is open, each by a numbered worker.
    await panel.locator('[data-kind="started"]').first().waitFor({ timeout: 20_000 });
    expect(await panel.locator('[data-kind="started"]').first().textContent()).toMatch(/Started by worker \d/);

    // One of the two workers dies holding a chunk: the other takes it over, and the job still ends done.
    await stack.workers[0]!.stop('SIGKILL');
    await panel.locator('[data-kind="takeover"]').first().waitFor({ timeout: 30_000 });
    await panel.locator('[data-kind="done"]').waitFor({ timeout: 60_000 });
    expect(await panel.locator('.journey__summary').textContent()).toMatch(/100,001 of 100,001 delivered, done [\d.]+ (s|ms|min)/);
    expect(await panel.locator('[data-kind="takeover"]').first().textContent()).toMatch(/Taken over by worker \d from worker \d/);
    expect(await panel.locator('[data-kind="pending"]').count()).toBe(0);
    // The first steps in order, each after the one before.
    const kinds = await panel.locator('.journey__step').evaluateAll((items) => items.map((li) => li.getAttribute('data-kind')));
    expect(kinds.slice(0, 3)).toEqual(['accepted', 'queued', 'started']);
    expect(kinds[kinds.length - 1]).toBe('done');

    // Tall enough for the whole journey: a start per chunk, the takeover, done.
    await erin.setViewportSize({ width: 900, height: 1250 });
    if (onSingleRedis) await erin.screenshot({ path: screenshotPath, fullPage: false });
    await panel.getByRole('button', { name: 'Close journey' }).click();
    expect(await panel.count()).toBe(0);
  });
});
