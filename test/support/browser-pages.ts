/** What the browser tests do in a page before their own subject: sign up, follow, add followers. */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { BrowserStack } from './browser-stack.js';

/** Signs `handle` up through the page's own form and waits for the compose box. */
export async function signUpInPage(stack: BrowserStack, page: Page, handle: string): Promise<void> {
  await page.goto(stack.server.url);
  await page.getByLabel('Handle', { exact: true }).fill(handle);
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByLabel("What's happening?").waitFor();
}

/**
 * Two signed-up pages: `author` (a 900 × 900 window, for the screenshot) with 100 001 followers,
 * one of them `follower`, followed through the page.
 */
export async function authorAndFollowerPages(stack: BrowserStack, author: string, follower: string): Promise<{ authorPage: Page; followerPage: Page }> {
  const authorPage = await (await stack.browser.newContext({ viewport: { width: 900, height: 900 } })).newPage();
  const followerPage = await (await stack.browser.newContext()).newPage();
  await signUpInPage(stack, authorPage, author);
  await signUpInPage(stack, followerPage, follower);
  await followerPage.getByLabel('Handle to follow').fill(author);
  await followerPage.getByRole('button', { name: 'Follow', exact: true }).click();
  await expect.poll(async () => (await followerPage.textContent('body')) ?? '').toMatch(/1\s*following/);
  await authorPage.getByRole('button', { name: '+100K followers' }).click();
  await expect.poll(async () => (await authorPage.textContent('body')) ?? '', { timeout: 30_000 }).toMatch(/100[,.\s]?001 followers/);
  return { authorPage, followerPage };
}
