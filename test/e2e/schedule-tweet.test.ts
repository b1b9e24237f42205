import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Tweet } from '@ripple/shared';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { authorAndFollowerPages } from '../support/browser-pages.js';
import { onSingleRedis } from '../support/redis-under-test.js';
import { api } from '../support/http-api.js';

const screenshotPath = fileURLToPath(new URL('../../docs/scheduled.png', import.meta.url));

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** `aheadMs` from now as the page's `datetime-local` field takes it: in the browser's own time zone. */
const localTimeIn = (page: Page, aheadMs: number) =>
  page.evaluate((ahead) => {
    const d = new Date(Date.now() + ahead);
    const two = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  }, aheadMs);

async function scheduleInPage(page: Page, text: string, aheadMs: number): Promise<void> {
  await page.getByLabel("What's happening?").fill(text);
  const schedule = page.getByRole('checkbox', { name: 'Schedule' });
  if (!(await schedule.isChecked())) await schedule.check();
  await page.getByLabel('Publish at').fill(await localTimeIn(page, aheadMs));
  await page.getByRole('button', { name: 'Schedule', exact: true }).click();
  await page.getByRole('region', { name: 'Scheduled tweets' }).locator('li', { hasText: text }).waitFor({ timeout: 10_000 });
}

async function tokenOf(page: Page): Promise<string> {
  const session = await page.evaluate(() => localStorage.getItem('ripple.session'));
  return (JSON.parse(session ?? '{}') as { token: string }).token;
}

describe('scheduling in the browser', () => {
  it('lists a scheduled tweet with a live countdown, cancels one, and moves the other into the timelines at its time', async () => {
    const { authorPage: alice, followerPage: bob } = await authorAndFollowerPages(stack, 'alice', 'bob');

    await alice.getByLabel("What's happening?").fill('Good morning! Something is coming.');
    await alice.getByRole('button', { name: 'Post' }).click();
    await expect.poll(() => alice.locator('article', { hasText: 'Good morning' }).getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');

    const soon = 'Launching in a few seconds — set your clocks';
    const later = 'Weekly digest, out Friday morning';
    const dropped = 'A draft I will think better of';
    await scheduleInPage(alice, soon, 15_000);
    await scheduleInPage(alice, later, 2 * 86_400_000 + 3_600_000);
    await scheduleInPage(alice, dropped, 3 * 86_400_000);

    const list = alice.getByRole('region', { name: 'Scheduled tweets' });
    const soonItem = list.locator('li', { hasText: soon });
    // Soonest first, each counting down.
    expect(await list.locator('li .scheduled__text').allTextContents()).toEqual([soon, later, dropped]);
    const first = await soonItem.locator('.scheduled__countdown').textContent();
    await expect.poll(() => soonItem.locator('.scheduled__countdown').textContent(), { timeout: 3_000 }).not.toBe(first);
    expect(await list.locator('li', { hasText: later }).locator('.scheduled__countdown').textContent()).toMatch(/^in 2 d [01] h$/);

    // Cancelled: gone from the list and from the server.
    await list.locator('li', { hasText: dropped }).getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => list.locator('li', { hasText: dropped }).count()).toBe(0);
    const token = await tokenOf(alice);
    const listed = await api<{ tweets: Tweet[] }>(stack.server.url, '/api/me/scheduled', { token });
    expect(listed.tweets.map((t) => t.text)).toEqual([soon, later]);

    // Nobody sees it before its time, its author neither in the timeline.
    expect(await alice.locator('article', { hasText: soon }).count()).toBe(0);
    expect(await bob.locator('article', { hasText: soon }).count()).toBe(0);
    if (onSingleRedis) await alice.screenshot({ path: screenshotPath, fullPage: false });

    // At its time: out of the list, into the author's timeline with its delivery, and to the follower.
    const mine = alice.locator('article', { hasText: soon });
    await expect.poll(() => mine.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => soonItem.count()).toBe(0);
    await expect.poll(() => mine.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    await expect.poll(() => mine.textContent()).toMatch(/delivered to 100[,.\s]?001 followers/);
    await expect.poll(() => bob.locator('article', { hasText: soon }).count(), { timeout: 15_000 }).toBe(1);
    expect(await list.locator('li', { hasText: later }).count()).toBe(1);
  });
});
