import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { authorAndFollowerPages } from '../support/browser-pages.js';
import { onSingleRedis } from '../support/redis-under-test.js';

const screenshotPath = fileURLToPath(new URL('../../docs/on-read.png', import.meta.url));

let stack: BrowserStack;

beforeAll(async () => {
  // The author of authorAndFollowerPages has 100 001 followers: just past this threshold.
  stack = await startBrowserStack({ serverEnv: { FANOUT_ON_READ_THRESHOLD: '100000' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('fan-out on read in the browser', () => {
  it("says on the author's card that the tweet went out on read and why, and the follower sees it live and after a reload", async () => {
    const { authorPage: erin, followerPage: frank } = await authorAndFollowerPages(stack, 'erin', 'frank');

    const text = 'Big news for all 100,001 of you, merged as you read.';
    await erin.getByLabel("What's happening?").fill(text);
    await erin.getByRole('button', { name: 'Post' }).click();
    const card = erin.locator('article', { hasText: text });
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    await expect
      .poll(() => card.locator('.delivery__route').textContent(), { timeout: 10_000 })
      .toMatch(/on read — you have 100[,.\s]?001 followers, above the 100[,.\s]?000 threshold/);

    // Live, by timeline:new, though no timeline was written…
    await expect.poll(() => frank.locator('article', { hasText: text }).count(), { timeout: 15_000 }).toBe(1);
    // The card fades in; the screenshot waits for it to settle.
    await card.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)));
    if (onSingleRedis) await erin.screenshot({ path: screenshotPath, fullPage: false });
    // …and on a fresh read, merged in.
    await frank.reload();
    await frank.locator('article', { hasText: text }).waitFor({ timeout: 15_000 });
  });
});
