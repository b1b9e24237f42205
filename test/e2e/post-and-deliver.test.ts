import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, Route } from 'playwright-core';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { spawnServer, spawnWorker, type RippleProcess } from '../support/processes.js';
import { launchChromium } from '../support/browser.js';

const screenshotPath = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

let redisServer: TestRedis;
let server: RippleProcess & { url: string };
let worker: RippleProcess;
let browser: Browser;

beforeAll(async () => {
  redisServer = await startRedis();
  [server, worker, browser] = await Promise.all([spawnServer(redisServer.url), spawnWorker(redisServer.url), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), worker?.stop()]);
  await redisServer?.stop();
});

async function signUpInPage(page: Page, handle: string): Promise<void> {
  await page.goto(server.url);
  await page.getByLabel('Handle', { exact: true }).fill(handle);
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByLabel("What's happening?").waitFor();
}

describe('posting in the browser', () => {
  it('shows the tweet before the 202, fills the delivery bar, and slides it into a follower’s page', async () => {
    const alice = await (await browser.newContext({ viewport: { width: 900, height: 900 } })).newPage();
    const bob = await (await browser.newContext()).newPage();
    await signUpInPage(alice, 'alice');
    await signUpInPage(bob, 'bob');

    await bob.getByLabel('Handle to follow').fill('alice');
    await bob.getByRole('button', { name: 'Follow', exact: true }).click();
    await expect.poll(async () => (await bob.textContent('body')) ?? '').toMatch(/1\s*following/);

    await alice.getByRole('button', { name: '+100K followers' }).click();
    await expect.poll(async () => (await alice.textContent('body')) ?? '', { timeout: 30_000 }).toMatch(/100[,.\s]?001 followers/);

    // Hold the 202 until the page has shown the tweet: proves the optimistic render.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let answered = false;
    await alice.route('**/api/tweets', async (route: Route) => {
      const response = await route.fetch();
      await held;
      answered = true;
      await route.fulfill({ response });
    });

    const text = 'Ripples spread outward — hello, followers!';
    await alice.getByLabel("What's happening?").fill(text);
    await alice.getByRole('button', { name: 'Post' }).click();
    const mine = alice.locator('article', { hasText: text });
    await expect.poll(() => mine.getAttribute('data-status')).toBe('sending');
    expect(answered).toBe(false);
    release();

    await expect.poll(() => mine.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    await expect.poll(() => mine.textContent()).toMatch(/delivered to 100[,.\s]?001 followers/);
    await expect.poll(() => mine.getAttribute('data-tweet-id')).toMatch(/^\d+$/);

    const atBob = bob.locator('article', { hasText: text });
    await expect.poll(() => atBob.count(), { timeout: 15_000 }).toBe(1);
    await alice.screenshot({ path: screenshotPath, fullPage: false });
  });
});
