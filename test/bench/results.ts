/** The shape of one benchmark run's findings: what run.ts measures, report.ts prints and the JSON file keeps. */
import type { ContenderId } from './contenders.ts';
import type { OpenLoopResult } from './open-loop.ts';
import type { OpenStreamsResult } from './open-streams.ts';
import type { ScenarioId } from './scenarios.ts';
import type { StreamTimingResult } from './stream-timing.ts';
import type { WrkResult } from './wrk.ts';
import { median } from './stats.ts';

export type ThroughputRun = WrkResult & { cpuMsPerRequest: number };

/** A figure per contender: the runs, their median, or why there is none. */
export type Measured<Run> = { runs: Run[]; median: Run | undefined; failure: string | undefined };

export type ContenderInfo = {
  id: ContenderId;
  label: string;
  notes: string[];
  pid: number | undefined;
  /** Why it could not be started at all. */
  unavailable: string | undefined;
  /** Per scenario: why its answer was not the upstream's (then the scenario is not load-tested). */
  probeFailures: Partial<Record<ScenarioId | `paced-${ScenarioId}`, string>>;
  /** VmHWM over the closed-loop throughput phase (reset before it). */
  peakRssMb: number;
  /** Started for the open-streams test alone (a variant), so absent from the other tables. */
  openStreamsOnly?: boolean;
  /** A reference measured in some phases alone (full mode): its rows appear only in the tables of those. */
  reference?: boolean;
};

export type OverheadComparison = {
  contender: ContenderId;
  /** Mean of lessllm_gateway_overhead over the open-loop phase, from GET /metrics. */
  metricMeanMs: number | undefined;
  metricCalls: number;
  /** Mean latency over direct in the same phase, measured by the client. */
  addedMeanMs: number;
  /** Mean latency over the floor: the extra hop removed, lessllm's own share. */
  beyondFloorMeanMs: number;
  /** Why the metric could not be read. */
  note: string | undefined;
};

export type BenchResults = {
  startedAt: string;
  mode: 'quick' | 'full';
  runs: number;
  machine: { cpus: number; cpuModel: string; memoryGb: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[]; kernel: string };
  tools: { bun: string; node: string; wrk: string };
  settings: { connections: number; wrkSeconds: number; openLoopRate: number; openLoopSeconds: number; pacedSeconds: number; pacedConcurrency: number; openStreams: number; openStreamTokens: number };
  contenders: ContenderInfo[];
  telemetry: {
    metricsStatus: number;
    active: boolean;
    logRows: number | undefined;
    /** What the OTLP sink received from the full-telemetry lessllm, by signal (traces, metrics). */
    otlpReceived: Record<string, { exports: number; bytes: number }> | undefined;
    /** lessllm_telemetry_dropped_total of the full-telemetry lessllm at the end, by kind (kinds with drops). */
    dropped: Record<string, number> | undefined;
    note: string;
  };
  throughput: Partial<Record<ScenarioId, Partial<Record<ContenderId, Measured<ThroughputRun>>>>>;
  openLoop: Partial<Record<ContenderId, Measured<OpenLoopResult>>>;
  overhead: OverheadComparison[];
  paced: Partial<Record<ScenarioId, Partial<Record<ContenderId, Measured<StreamTimingResult>>>>>;
  openStreams: Partial<Record<ContenderId, Measured<OpenStreamsResult>>>;
  seconds: number;
};

/** The sum of one numeric field over the runs (stalls and failures count in every run, not as a median). */
export function sumOf<Run>(runs: readonly Run[], key: { [Key in keyof Run]: Run[Key] extends number ? Key : never }[keyof Run]): number {
  return runs.reduce((sum, run) => sum + (run[key] as number), 0);
}

/** Field by field, the median of each number over the runs (other fields from the first run). */
export function medianRecord<Run extends object>(runs: readonly Run[]): Run | undefined {
  if (runs.length === 0) return undefined;
  const result: Record<string, unknown> = { ...(runs[0] as Record<string, unknown>) };
  for (const [key, value] of Object.entries(runs[0])) {
    if (typeof value === 'number') result[key] = median(runs.map((run) => (run as Record<string, unknown>)[key] as number));
  }
  return result as Run;
}
