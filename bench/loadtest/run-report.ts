import type { CpuCost } from './cpu-cost.js';
import { MEASURES, type DeliveryTracker, type MeasureName } from './delivery-tracker.js';
import type { SpectrumPoint } from './latency.js';
import type { LoadTestOptions } from './options.js';
import type { PostingGroup, PostingGroups } from './posting-groups.js';
import { judgeOrdinaryUnderAttack, type AttackReport, type CelebrityReport, type LoadTestReport, type ReportSpectra, type SecondOfRun } from './report.js';
import type { ServerSampler } from './server-sampler.js';

/** What the report says about the run beyond its measures: where, who, and when. */
export interface RunFacts {
  url: string;
  runId: string;
  startedAt: Date;
  /** What the posting phase cost each part of the stack, when the server publishes CPU. */
  cpu?: CpuCost | undefined;
}

function spectraOf(tracker: DeliveryTracker): Record<MeasureName, SpectrumPoint[]> {
  return Object.fromEntries(MEASURES.map(({ name }) => [name, tracker.measures[name].spectrum()])) as Record<MeasureName, SpectrumPoint[]>;
}

/** Every second of the schedule from the first to the last with a sample, empty ones included so that a plot keeps its time axis. */
export function latencyBySecondOf(tracker: DeliveryTracker): SecondOfRun[] {
  const { accept, onlineDelivery, sendLag } = tracker.bySecond;
  return Array.from({ length: Math.max(accept.seconds, onlineDelivery.seconds, sendLag.seconds) }, (_, t) => ({
    t,
    accept: accept.at(t),
    onlineDelivery: onlineDelivery.at(t),
    sendLag: sendLag.at(t),
  }));
}

/** The celebrity's part of the report. */
function celebrityReportOf(celebrity: PostingGroup, options: LoadTestOptions): CelebrityReport {
  return {
    followers: options.celebrityFollowers,
    posts: options.celebrityPosts,
    ...celebrity.tracker.summaries(),
    refused: celebrity.tracker.counts.refused,
    failed: celebrity.tracker.counts.failed,
  };
}

/** The attack's part of the report: what it did to the ordinary crowd, and how its own tweets fared. */
function attackReportOf(
  attack: PostingGroup,
  main: PostingGroup,
  mainSummaries: ReturnType<DeliveryTracker['summaries']>,
  options: LoadTestOptions,
): AttackReport {
  const { sent, accepted, refused, failed } = attack.tracker.counts;
  const attackerSummaries = attack.tracker.summaries();
  return {
    attackers: options.attackers,
    followers: options.attackerFollowers,
    rate: options.attackerRate,
    ordinary: judgeOrdinaryUnderAttack({
      refusedByStatus: main.tracker.refusedByStatus,
      failed: main.tracker.counts.failed,
      onlineDelivery: mainSummaries.onlineDelivery,
    }),
    attackerTweets: {
      sent,
      accepted,
      refused,
      refusedByStatus: { ...attack.tracker.refusedByStatus },
      failed,
      accept: attackerSummaries.accept,
      complete: attackerSummaries.complete,
    },
  };
}

/** The options the run was given, as the report repeats them. */
function reportConfig(options: LoadTestOptions, facts: RunFacts): LoadTestReport['config'] {
  return {
    url: facts.url,
    authors: options.authors,
    followers: options.followers,
    online: options.online,
    rate: options.rate,
    durationS: options.durationS,
    drainTimeoutS: options.drainTimeoutS,
    celebrityFollowers: options.celebrityFollowers,
    celebrityPosts: options.celebrityPosts,
    attackers: options.attackers,
    attackerFollowers: options.attackerFollowers,
    attackerRate: options.attackerRate,
    maxTries: options.maxTries,
    runId: facts.runId,
    startedAt: facts.startedAt.toISOString(),
  };
}

/** The whole report of a finished run, and the latency spectra behind its charts. */
export function assembleReport(
  groups: PostingGroups,
  sampler: ServerSampler,
  options: LoadTestOptions,
  facts: RunFacts,
): { report: LoadTestReport; spectra: ReportSpectra } {
  const { main, celebrity, attack } = groups;
  const summaries = main.tracker.summaries();
  const report: LoadTestReport = {
    config: reportConfig(options, facts),
    accept: summaries.accept,
    firstDelivery: summaries.firstDelivery,
    onlineDelivery: summaries.onlineDelivery,
    complete: summaries.complete,
    deliveriesPerSecond: sampler.overallDeliveriesPerSecond() ?? 0,
    refused: main.tracker.counts.refused,
    refusedByStatus: { ...main.tracker.refusedByStatus },
    failed: main.tracker.counts.failed,
    series: sampler.series(),
    latencyBySecond: latencyBySecondOf(main.tracker),
    ...(facts.cpu ? { cpu: facts.cpu } : {}),
    ...(celebrity ? { celebrity: celebrityReportOf(celebrity, options) } : {}),
    ...(attack ? { attack: attackReportOf(attack, main, summaries, options) } : {}),
  };
  return {
    report,
    spectra: { main: spectraOf(main.tracker), ...(celebrity ? { celebrity: spectraOf(celebrity.tracker) } : {}) },
  };
}
