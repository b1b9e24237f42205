/**
 * `npm run loadtest -- [options]`: drives a running Ripple through its public HTTP API and
 * Socket.IO like real users, at a constant arrival rate, and reports fan-out latency.
 * The report goes to stdout and to `<out>.json` / `<out>.html`; progress goes to stderr.
 * Exit codes: 0 after a report, 1 when Ripple cannot be driven (one line on stderr), 2 for a
 * bad command line, 130 on a second Ctrl-C.
 *
 *   npm run loadtest -- --url http://127.0.0.1:3000 --authors 5 --followers 2000 --rate 50 --duration 10
 */
import { runLoadTest } from './load-run.js';
import { exitWith, optionsOrExit } from '../cli.js';
import { HELP, parseOptions } from './options.js';
import { ProgressLine } from './progress-line.js';
import { formatReport, writeReport } from './report.js';
import { RippleClient } from './ripple-client.js';

const fail = (line: string, code = 1): never => exitWith('loadtest', line, code);

const options = optionsOrExit('loadtest', parseOptions, HELP);

// The first Ctrl-C ends the run early but still reports what was measured; the second quits.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) fail('\ninterrupted', 130);
  process.stderr.write('\nloadtest: stopping early (Ctrl-C again to quit without a report)\n');
  interrupt.abort();
});

const progress = new ProgressLine(process.stderr);
try {
  const { report, spectra, notes } = await runLoadTest(options, {
    client: new RippleClient({ baseUrl: options.url }),
    progress,
    interrupt: interrupt.signal,
  });
  const paths = writeReport(report, spectra, options.out);
  console.log(formatReport(report));
  if (notes.length > 0) console.log(['', ...notes.map((note) => `note: ${note}`)].join('\n'));
  console.log(`\nwrote ${paths.json} and ${paths.html}`);
  process.exit(0);
} catch (error) {
  progress.end();
  // Whatever stopped the run gets one line, not a stack trace: the cause is almost always
  // outside this program (Ripple down, demo endpoints off, Redis gone).
  fail(error instanceof Error ? error.message : String(error));
}
