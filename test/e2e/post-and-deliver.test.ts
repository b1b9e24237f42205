import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Page, Route } from 'playwright-core';
import type { Tweet } from '@ripple/shared';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { authorAndFollowerPages } from '../support/browser-pages.js';
import { onSingleRedis } from '../support/redis-under-test.js';
import { api } from '../support/http-api.js';

const screenshotPath = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

/**
 * Pages of 100 followers instead of 1000: a progress event goes out after the first page and
 * then every 10 % of the job, so 100 001 followers give events at least 100 page writes apart,
 * each rendered on its own. With pages of 1000 a fast machine can finish the whole job between
 * two renders, and the bar would go from empty straight to gone.
 */
const PAGE_SIZE = '100';

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack({ workerEnv: { FANOUT_PAGE_SIZE: PAGE_SIZE } });
});
afterAll(async () => {
  await stack?.stop();
});

/** The token the page signed in with, for looking at the server's side of things. */
async function tokenOf(page: Page): Promise<string> {
  const session = await page.evaluate(() => localStorage.getItem('ripple.session'));
  return (JSON.parse(session ?? '{}') as { token: string }).token;
}

interface BarReading {
  value: number;
  max: number;
}

/**
 * Records every state the delivery bar of the tweet with `text` is rendered in, from now on.
 * A MutationObserver runs after each DOM change, so no rendered value is missed the way a
 * poll could miss it, however fast the fan-out runs.
 */
async function recordDeliveryBar(page: Page, text: string): Promise<BarReading[]> {
  const readings: BarReading[] = [];
  await page.exposeFunction('recordDeliveryBar', (reading: BarReading) => readings.push(reading));
  await page.evaluate((text) => {
    const record = (window as unknown as { recordDeliveryBar: (reading: { value: number; max: number }) => void }).recordDeliveryBar;
    let last = '';
    new MutationObserver(() => {
      const article = [...document.querySelectorAll('article')].find((a) => a.textContent?.includes(text));
      const bar = article?.querySelector('progress');
      if (!bar) return;
      const reading = { value: bar.value, max: bar.max };
      if (JSON.stringify(reading) === last) return;
      last = JSON.stringify(reading);
      record(reading);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  }, text);
  return readings;
}

describe('posting in the browser', () => {
  it('shows the tweet before the 202, fills the delivery bar, and slides it into a follower’s page', async () => {
    const { authorPage: alice, followerPage: bob } = await authorAndFollowerPages(stack, 'alice', 'bob');

    // The POST is held in the browser, before it reaches the server, until the page has shown
    // the tweet: whatever is on the page by then can only be the optimistic render.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let intercepted!: () => void;
    const postIntercepted = new Promise<void>((resolve) => (intercepted = resolve));
    await alice.route('**/api/tweets', async (route: Route) => {
      if (route.request().method() !== 'POST') return route.continue();
      intercepted();
      await held;
      await route.continue();
    });

    const text = 'Ripples spread outward — hello, followers!';
    const bar = await recordDeliveryBar(alice, text);
    await alice.getByLabel("What's happening?").fill(text);
    await alice.getByRole('button', { name: 'Post' }).click();
    await postIntercepted;
    const mine = alice.locator('article', { hasText: text });
    await mine.waitFor({ timeout: 5_000 });
    expect(await mine.getAttribute('data-status')).toBe('sending');
    // The id shown is the page's own: the server's id only comes with the 202.
    expect(await mine.getAttribute('data-tweet-id')).toMatch(/^local-/);
    const token = await tokenOf(alice);
    const stored = await api<{ tweets: Tweet[] }>(stack.server.url, '/api/users/alice/tweets', { token });
    expect(stored.tweets).toEqual([]);
    release();

    await expect.poll(() => mine.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    await expect.poll(() => mine.textContent()).toMatch(/delivered to 100[,.\s]?001 followers/);
    await expect.poll(() => mine.getAttribute('data-tweet-id')).toMatch(/^\d+$/);

    // The bar measured the whole audience, only ever grew, and was seen part-way. It is never
    // drawn full: the last page is a short one and sends no progress, so at the end the bar
    // gives way to the count of everyone reached, checked above.
    expect(await mine.locator('progress').count()).toBe(0);
    for (const reading of bar) expect(reading.max).toBe(100_001);
    const values = bar.map((reading) => reading.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(
      values.some((value) => value > 0 && value < 100_001),
      `bar values seen: ${values.join(', ')}`,
    ).toBe(true);

    const atBob = bob.locator('article', { hasText: text });
    await expect.poll(() => atBob.count(), { timeout: 15_000 }).toBe(1);
    // The README's picture comes from the single-Redis run; the cluster run would write the same file at the same time.
    if (onSingleRedis) await alice.screenshot({ path: screenshotPath, fullPage: false });
  });
});
