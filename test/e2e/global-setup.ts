import { buildClient } from '../support/browser.js';

/**
 * Builds the client once for all browser tests: the server processes they start serve
 * client/dist, and concurrent builds into one folder would pull files from under each other.
 * Both browser projects (`e2e`, `e2e-cluster`) name this setup, and global setups run in the
 * one main process: the second finds the mark the first left and builds nothing.
 */
export default function setup(): void {
  if (process.env.RIPPLE_E2E_CLIENT_BUILT) return;
  buildClient();
  process.env.RIPPLE_E2E_CLIENT_BUILT = '1';
}
