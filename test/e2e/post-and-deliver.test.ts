import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Page, Route } from 'playwright-core';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';

const screenshotPath = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function signUpInPage(page: Page, handle: string): Promise<void> {
  await page.goto(stack.server.url);
  await page.getByLabel('Handle', { exact: true }).fill(handle);
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByLabel("What's happening?").waitFor();
}

describe('posting in the browser', () => {
  it('shows the tweet before the 202, fills the delivery bar, and slides it into a follower’s page', async () => {
    const alice = await (await stack.browser.newContext({ viewport: { width: 900, height: 900 } })).newPage();
    const bob = await (await stack.browser.newContext()).newPage();
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
