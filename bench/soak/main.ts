/**
 * `npm run soak -- --minutes N [--rate R]`: runs Ripple (its own Redis, 2 server nodes, 3
 * workers) under steady posting while faults are injected, then checks that nothing was lost,
 * doubled or leaked. The summary goes to stdout and the JSON report to `--out`; progress goes
 * to stderr. Exit codes: 0 when every check passed, 1 when one failed or the run could not be
 * carried out, 2 for a bad command line, 130 when interrupted.
 */
import { exitWith, optionsOrExit } from '../cli.js';
import { HELP, parseOptions } from './options.js';
import { formatSummary, writeProcessLogs, writeReport } from './report.js';
import { runSoak } from './soak-run.js';

const fail = (line: string, code = 1): never => exitWith('soak', line, code);

const options = optionsOrExit('soak', parseOptions, HELP);

// Ctrl-C stops the run; the processes it started are stopped before it exits.
const interrupt = new AbortController();
const onSignal = (name: string) => () => {
  if (interrupt.signal.aborted) return;
  process.stderr.write(`\nsoak: ${name}: stopping everything this run started…\n`);
  interrupt.abort(new Error('interrupted'));
};
process.on('SIGINT', onSignal('SIGINT'));
process.on('SIGTERM', onSignal('SIGTERM'));

const time = () => new Date().toISOString().slice(11, 19);
try {
  const { report, processLogs } = await runSoak(options, { log: (line) => process.stderr.write(`${time()} ${line}\n`), signal: interrupt.signal });
  const file = writeReport(report, options.out);
  console.log(formatSummary(report));
  console.log(`\nwrote ${file}`);
  if (!report.passed) console.log(`wrote the server and worker logs to ${writeProcessLogs(processLogs, file)}`);
  process.exit(report.passed ? 0 : 1);
} catch (error) {
  if (interrupt.signal.aborted) fail('interrupted; everything it started is stopped', 130);
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
}
