/** `npm run bench -- --floor [--rate R] [--duration S] [--warmup S] [--runs N]`: see cpu-floor.ts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { integer, optionsOrExit, positive, timestampForFileName } from '../cli.js';
import { formatFloor, measureFloor, type FloorOptions } from './cpu-floor.js';

const HELP = `npm run bench -- --floor [options]
  --rate R       POSTs per second (default 500, the load test's rate)
  --duration S   seconds measured per way (default 20)
  --warmup S     seconds sent first and not counted (default 5)
  --runs N       times the whole set is measured, one table each (default 3)`;

export async function floorMain(): Promise<void> {
  const { options, runs } = optionsOrExit(
    'bench --floor',
    (args) => {
      const { values } = parseArgs({
        args,
        options: {
          floor: { type: 'boolean' },
          rate: { type: 'string', default: '500' },
          duration: { type: 'string', default: '20' },
          warmup: { type: 'string', default: '5' },
          runs: { type: 'string', default: '3' },
          help: { type: 'boolean', default: false },
        },
      });
      if (values.help) return 'help';
      const options: FloorOptions = {
        rate: positive('rate', values.rate),
        durationS: positive('duration', values.duration),
        warmupS: positive('warmup', values.warmup),
      };
      return { options, runs: integer('runs', values.runs, 1) };
    },
    HELP,
  );
  const results = [];
  for (let run = 1; run <= runs; run++) {
    const rows = await measureFloor(options);
    console.log(`\nrun ${run} of ${runs}\n${formatFloor(rows, options)}`);
    results.push(rows);
  }
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/floor-${timestampForFileName(new Date())}.json`;
  writeFileSync(file, JSON.stringify({ options, runs: results }, null, 2));
  console.log(`\nwrote ${file}`);
}
