import { buildClient } from '../support/browser.js';

/**
 * Builds the client once for all browser tests: the server processes they start serve
 * client/dist, and concurrent builds into one folder would pull files from under each other.
 */
export default function setup(): void {
  buildClient();
}
