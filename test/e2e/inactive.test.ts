import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { keysOf } from '@ripple/shared/node';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { authorAndFollowerPages } from '../support/browser-pages.js';
import { onSingleRedis } from '../support/redis-under-test.js';
import { connectedClient } from '../support/ripple.js';

const screenshotPath = fileURLToPath(new URL('../../docs/inactive.png', import.meta.url));
const DAY_MS = 24 * 3600 * 1000;

let stack: BrowserStack;

beforeAll(async () => {
  // Servers and workers must agree on it (checked at start).
  stack = await startBrowserStack({ serverEnv: { INACTIVE_AFTER_DAYS: '1' }, workerEnv: { INACTIVE_AFTER_DAYS: '1' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('skipping timelines nobody reads, in the browser', () => {
  it('tells the author how many inactive followers the delivery left out; synthetic followers count as active', async () => {
    const { authorPage: gina, followerPage: hank } = await authorAndFollowerPages(stack, 'gina', 'hank');
    await hank.close();
    // hank has been away for three days.
    const redis = await connectedClient(stack.redis.target);
    try {
      const k = keysOf(redis);
      const hankId = (await redis.hGet(k.handles, 'hank'))!;
      await redis.zAdd(k.lastActive(k.layout.bucketOf(hankId)), { score: Date.now() - 3 * DAY_MS, value: hankId });
    } finally {
      await redis.close();
    }

    const text = 'Only for those still around.';
    await gina.getByLabel("What's happening?").fill(text);
    await gina.getByRole('button', { name: 'Post' }).click();
    const card = gina.locator('article', { hasText: text });
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    expect(await card.locator('.delivery__text').textContent()).toMatch(/delivered to 100[,.\s]?000 followers/);
    expect(await card.locator('.delivery__skipped').textContent()).toMatch(/^1 inactive follower left out/);
    await card.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)));
    if (onSingleRedis) await gina.screenshot({ path: screenshotPath, fullPage: false });
  });
});
