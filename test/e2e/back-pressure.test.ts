import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tweet } from '@ripple/shared';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';
import { addFollowers, api, postTweet } from '../support/http-api.js';
import { signUp } from '../support/users.js';

let stack: BrowserStack;

beforeAll(async () => {
  // A bound of 1 on small tweets' backlog and no worker yet: the first tweet is admitted
  // (nothing is outstanding), and while it waits every new one is refused.
  stack = await startBrowserStack({ serverEnv: { FANOUT_MAX_SMALL_BACKLOG: '1' }, workerEnv: false });
});
afterAll(async () => {
  await stack?.stop();
});

describe('riding out back pressure in the browser', () => {
  it('counts down while the server is busy, survives a reload, and sends the tweet exactly once', async () => {
    const { server, browser } = stack;
    const carol = await signUp(server.url, 'carol');
    await addFollowers(server.url, carol.token, 1_000);
    await postTweet(server.url, carol.token, 'fills the backlog');

    const context = await browser.newContext();
    await context.addInitScript(
      ([token, user]) => {
        if (!sessionStorage.getItem('seeded')) {
          localStorage.setItem('ripple.session', JSON.stringify({ token, user }));
          sessionStorage.setItem('seeded', '1');
        }
      },
      [carol.token, carol.user] as const,
    );
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel("What's happening?").waitFor();

    const text = 'Posted while the queue was full';
    await page.getByLabel("What's happening?").fill(text);
    await page.getByRole('button', { name: 'Post' }).click();
    const mine = page.locator('article', { hasText: text });
    await expect.poll(() => mine.getAttribute('data-status'), { timeout: 10_000 }).toBe('retrying');
    await expect.poll(async () => (await mine.textContent()) ?? '').toMatch(/server busy, retrying in \d+ s/);
    const first = Number(/retrying in (\d+) s/.exec((await mine.textContent()) ?? '')?.[1]);
    await expect.poll(async () => Number(/retrying in (\d+) s/.exec((await mine.textContent()) ?? '')?.[1]), { timeout: 5_000 }).toBeLessThan(first);

    // A reload in the middle of the countdown keeps the unsent tweet and tries again.
    await page.reload();
    await expect.poll(() => page.locator('article', { hasText: text }).count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('article', { hasText: text }).getAttribute('data-status'), { timeout: 10_000 }).toBe('retrying');

    await stack.addWorker();
    const again = page.locator('article', { hasText: text });
    await expect.poll(() => again.getAttribute('data-status'), { timeout: 45_000 }).toBe('delivered');
    await expect.poll(() => page.locator('article', { hasText: text }).count()).toBe(1);

    const own = await api<{ tweets: Tweet[] }>(server.url, '/api/users/carol/tweets?limit=100', { token: carol.token });
    expect(own.tweets.filter((t) => t.text === text)).toHaveLength(1);
    await context.close();
  });
});
