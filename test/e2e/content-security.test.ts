import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserStack, type BrowserStack } from '../support/browser-stack.js';

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('Content-Security-Policy', () => {
  it('is sent with the page, and the built client runs under it without a single violation', async () => {
    const page = await stack.browser.newPage();
    try {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
        });
      });
      const response = await page.goto(stack.server.url);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(response?.headers()['x-content-type-options']).toBe('nosniff');

      await page.getByLabel('Handle', { exact: true }).fill('csp_reader');
      await page.getByLabel('Password', { exact: true }).fill('password123');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByLabel("What's happening?").fill('under a strict policy');
      await page.getByRole('button', { name: 'Post' }).click();
      // Posting goes through fetch and its delivery through the WebSocket: both under connect-src.
      await page.getByText('under a strict policy').first().waitFor();
      await page.goto(`${stack.server.url}/dashboard`);
      await page.locator('canvas').first().waitFor();
      expect(violations).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
