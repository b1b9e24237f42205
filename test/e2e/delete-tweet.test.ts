import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { authorAndFollowerPages } from '../support/browser-pages.js';
import { onSingleRedis } from '../support/redis-under-test.js';

const screenshotPath = fileURLToPath(new URL('../../docs/delete.png', import.meta.url));

let stack: BrowserStack;

beforeAll(async () => {
  // Small pages, as in post-and-deliver: the removal's bar is drawn part-way, not only at the end.
  stack = await startBrowserStack({ workerEnv: { FANOUT_PAGE_SIZE: '100' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('deleting in the browser', () => {
  it("takes the tweet off the author's page at once, fills the removal bar, and drops it from a follower's page", async () => {
    const { authorPage: carol, followerPage: dave } = await authorAndFollowerPages(stack, 'carol', 'dave');

    const kept = 'This one stays.';
    const text = 'Posted too soon: this one goes.';
    for (const t of [kept, text]) {
      await carol.getByLabel("What's happening?").fill(t);
      await carol.getByRole('button', { name: 'Post' }).click();
      await expect.poll(() => carol.locator('article', { hasText: t }).getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    }
    const atDave = dave.locator('article', { hasText: text });
    await expect.poll(() => atDave.count(), { timeout: 15_000 }).toBe(1);

    await carol.locator('article', { hasText: text }).getByRole('button', { name: 'Delete tweet' }).click();
    // Off the author's page before any answer could matter, and the other tweet untouched.
    expect(await carol.locator('article', { hasText: text }).count()).toBe(0);
    expect(await carol.locator('article', { hasText: kept }).count()).toBe(1);

    const removal = carol.locator('.deletion', { hasText: text });
    await removal.waitFor({ timeout: 10_000 });
    await removal.locator('progress').waitFor({ timeout: 10_000 });
    if (onSingleRedis) await carol.screenshot({ path: screenshotPath, fullPage: false });
    await expect.poll(() => removal.textContent(), { timeout: 30_000 }).toMatch(/removed from 100[,.\s]?001 timelines/);

    await expect.poll(() => atDave.count(), { timeout: 15_000 }).toBe(0);
    expect(await dave.locator('article', { hasText: kept }).count()).toBe(1);
    // A reload reads the server's timeline: the tweet is not in it.
    await dave.reload();
    await dave.locator('article', { hasText: kept }).waitFor();
    expect(await dave.locator('article', { hasText: text }).count()).toBe(0);
  });
});
