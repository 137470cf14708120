/**
 * The contenders, all in front of the same upstream: direct (no proxy: the limit), floor (a bare
 * forwarding proxy: the least a gateway can cost), lessllm with full telemetry, lessllm with telemetry
 * off, and Portkey's gateway as the peer. Each knows how to start and how to address one scenario.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort, startChild, stopChildrenOnExit, type ChildHandle } from './processes.ts';
import { anthropicBody, openAiBody, type Scenario } from './scenarios.ts';
import type { Wire } from './upstream-answers.ts';

export type ContenderId = 'direct' | 'floor' | 'floor-js' | 'lessllm' | 'lessllm-local' | 'lessllm-off' | 'portkey' | 'lessllm-uncapped';

export type HttpCall = { url: string; headers: Record<string, string>; body: string; clientWire: Wire };

export type Contender = {
  id: ContenderId;
  label: string;
  /** The proxy process whose memory and CPU are measured; none for direct. */
  process: ChildHandle | undefined;
  call(scenario: Scenario): HttpCall;
  /** Facts a reader of the table needs (how it was configured, what is not measurable). */
  notes: string[];
};

export type Paths = { root: string; bun: string; node: string; temporaryDirectory: string };

/**
 * What every bench program starts with: the servers it starts are stopped when it exits, even after
 * Ctrl-C, and so is its temporary directory (configs, wrk scripts, log databases that grow fast under
 * load) removed; the runtimes are this checkout's (Bun running the program, Node from node_modules).
 */
export function benchPaths(directoryPrefix: string): Paths {
  stopChildrenOnExit();
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const temporaryDirectory = mkdtempSync(join(tmpdir(), directoryPrefix));
  process.once('exit', () => rmSync(temporaryDirectory, { recursive: true, force: true }));
  return { root, bun: process.execPath, node: join(root, 'node_modules/.bin/node'), temporaryDirectory };
}

/** For a program that compares two checkouts: `treeRoot`'s lessllm on this checkout's runtimes, with a directory of its own. */
export function treePaths(paths: Paths, treeRoot: string): Paths {
  return { ...paths, root: treeRoot, temporaryDirectory: mkdtempSync(join(paths.temporaryDirectory, 'tree-')) };
}

const startTimeoutMs = 60_000;

/** The environment every child gets: the benchmark's own, minus anything that would redirect telemetry or traffic. */
export function childEnvironment(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const environment: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('OTEL_') && !name.startsWith('LESSLLM_') && !name.startsWith('BUN_CONFIG_')) environment[name] = value;
  }
  return { ...environment, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra };
}

export function startUpstream(paths: Paths): Promise<ChildHandle> {
  return startChild({
    name: 'upstream',
    command: paths.bun,
    args: ['test/bench/upstream.ts'],
    cwd: paths.root,
    env: childEnvironment(),
    readyPrefix: 'upstream listening on ',
    timeoutMs: startTimeoutMs,
  });
}

/** Openai-style request straight to the upstream (or through a proxy that does not convert). */
function nativeCall(baseUrl: string, scenario: Scenario): HttpCall {
  if (scenario.upstream === 'anthropic') {
    return {
      url: baseUrl + '/v1/messages',
      headers: { 'content-type': 'application/json', 'x-api-key': 'bench', 'anthropic-version': '2023-06-01' },
      body: anthropicBody(scenario),
      clientWire: 'anthropic',
    };
  }
  return {
    url: baseUrl + '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: openAiBody(scenario),
    clientWire: 'openai',
  };
}

const nativeNote = 'converted scenarios: sends the equivalent Anthropic request to /v1/messages (no conversion possible)';

/** The OTLP collector stand-in the full-telemetry lessllm exports to (otlp-sink.ts). */
export function startOtlpSink(paths: Paths): Promise<ChildHandle> {
  return startChild({
    name: 'otlp-sink',
    command: paths.bun,
    args: ['test/bench/otlp-sink.ts'],
    cwd: paths.root,
    env: childEnvironment(),
    readyPrefix: 'otlp sink listening on ',
    timeoutMs: startTimeoutMs,
  });
}

export function directContender(upstream: ChildHandle): Contender {
  return { id: 'direct', label: 'direct', process: undefined, call: (scenario) => nativeCall(upstream.url, scenario), notes: [nativeNote] };
}

/** The floor; with `readsBodies`, the floor that reads the bodies in JavaScript as any gateway must (floor-proxy.ts). */
export async function startFloor(paths: Paths, upstream: ChildHandle, readsBodies = false, extraEnv: Record<string, string> = {}): Promise<Contender> {
  const id = readsBodies ? 'floor-js' : 'floor';
  const process = await startChild({
    name: id,
    command: paths.bun,
    args: ['test/bench/floor-proxy.ts'],
    cwd: paths.root,
    // Bun's fetch holds at most 256 requests in flight unless told otherwise; the floor must not be the bottleneck.
    env: childEnvironment({ BENCH_UPSTREAM_URL: upstream.url, ...uncappedFetchEnvironment, ...(readsBodies ? { BENCH_FLOOR_READS_BODIES: '1' } : {}), ...extraEnv }),
    readyPrefix: 'floor listening on ',
    timeoutMs: startTimeoutMs,
  });
  const notes = [nativeNote, 'bare Bun.serve + fetch forwarder, BUN_CONFIG_MAX_HTTP_REQUESTS=65535'];
  if (readsBodies) {
    notes.push('the floor, but the request is read and parsed for its model, a JSON answer read and parsed for its usage, and a stream passed chunk by chunk through a JavaScript ReadableStream (unparsed); throughput scenarios and paced streams of the full mode only');
  }
  return { id, label: readsBodies ? 'floor, bodies via JS' : 'floor', process, call: (scenario) => nativeCall(process.url, scenario), notes };
}

export type LessllmRuntime = 'bun' | 'node' | 'deno';

/** The program and leading arguments that run lessllm's source on a runtime (Node and Deno from node_modules). */
function lessllmCommand(paths: Paths, runtime: LessllmRuntime): { command: string; args: string[] } {
  switch (runtime) {
    case 'bun':
      return { command: paths.bun, args: ['src/main.ts'] };
    case 'node':
      return { command: paths.node, args: ['src/main.ts'] };
    case 'deno':
      return { command: join(paths.root, 'node_modules/.bin/deno'), args: ['run', '-A', 'src/main.ts'] };
    default: {
      const unknownRuntime: never = runtime;
      throw new Error(`unknown runtime ${unknownRuntime}`);
    }
  }
}

export type LessllmVariant = {
  id: 'lessllm' | 'lessllm-local' | 'lessllm-off' | 'lessllm-uncapped';
  telemetry: boolean;
  /** Where spans and metrics are exported over OTLP/HTTP (protobuf), with telemetry on; none: nowhere. */
  otlpSink?: ChildHandle;
  /** With telemetry on: whether calls are written to the SQLite log table (yes unless said). */
  logTable?: boolean;
  /** With telemetry on: whether bodies and conversations are captured (yes unless said). */
  captureContent?: boolean;
  extraEnv?: Record<string, string>;
  label?: string;
  /** The runtime lessllm runs on; Bun unless said. */
  runtime?: LessllmRuntime;
};

/** Bun's fetch keeps at most 256 requests in flight per process unless this is set before it starts. */
export const bunFetchCap = 256;
export const uncappedFetchEnvironment = { BUN_CONFIG_MAX_HTTP_REQUESTS: '65535' };

export async function startLessllm(paths: Paths, upstream: ChildHandle, variant: LessllmVariant): Promise<Contender> {
  const databasePath = join(paths.temporaryDirectory, `${variant.id}-log.db`);
  const config: Record<string, unknown> = {
    server: { host: '127.0.0.1', port: 0 },
    providers: {
      'bench-openai': { type: 'openai', base_url: upstream.url + '/v1', api_key: 'bench' },
      'bench-anthropic': { type: 'anthropic', base_url: upstream.url, api_key: 'bench' },
    },
    routes: [
      { match: 'gpt-*', provider: 'bench-openai' },
      { match: 'claude-*', provider: 'bench-anthropic' },
    ],
  };
  const logTable = variant.telemetry && (variant.logTable ?? true);
  const captureContent = variant.captureContent ?? true;
  if (variant.telemetry) config.telemetry = { capture_content: captureContent };
  if (logTable) config.log = { database: `sqlite:${databasePath}` };
  const configPath = join(paths.temporaryDirectory, `${variant.id}.yaml`);
  writeFileSync(configPath, stringify(config));
  const environment: Record<string, string> = variant.telemetry ? {} : { OTEL_SDK_DISABLED: 'true' };
  // The SDK's defaults otherwise: spans leave in batches of up to 512 every 5 s, metrics every 60 s.
  if (variant.telemetry && variant.otlpSink) environment.OTEL_EXPORTER_OTLP_ENDPOINT = variant.otlpSink.url;
  const { command, args } = lessllmCommand(paths, variant.runtime ?? 'bun');
  const process = await startChild({
    name: variant.id,
    command,
    args: [...args, 'server', '--config', configPath, '--port', '0', '--host', '127.0.0.1'],
    cwd: paths.root,
    env: childEnvironment({ ...environment, ...variant.extraEnv }),
    readyPrefix: 'lessllm listening on ',
    timeoutMs: startTimeoutMs,
  });
  const notes = variant.telemetry
    ? [
        `telemetry: ${variant.otlpSink ? 'spans and metrics exported over OTLP/HTTP protobuf to a local sink' : 'no OTLP endpoint'}, /metrics on, ` +
          `capture_content ${captureContent ? 'on' : 'off'}, ${logTable ? 'log table on SQLite (temp dir)' : 'no log table'}`,
      ]
    : ['telemetry off: OTEL_SDK_DISABLED=true, no log table'];
  for (const [name, value] of Object.entries(variant.extraEnv ?? {})) notes.push(`started with ${name}=${value}`);
  if (variant.runtime === 'node') notes.push(`on Node ${packageVersion(paths, 'node')}`);
  else if (variant.runtime === 'deno') notes.push(`on Deno ${packageVersion(paths, 'deno')}`);
  else if (variant.extraEnv?.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined) {
    notes.push("started as users start it: lessllm raises Bun's fetch cap itself (restarts with BUN_CONFIG_MAX_HTTP_REQUESTS=65535)");
  }
  return {
    id: variant.id,
    label: variant.label ?? variant.id,
    process,
    // lessllm takes OpenAI requests for every route; the model name picks the upstream.
    call: (scenario) => nativeCall(process.url, { ...scenario, upstream: 'openai' }),
    notes,
  };
}

export async function startPortkey(paths: Paths, upstream: ChildHandle): Promise<Contender> {
  const port = await freePort();
  const process = await startChild({
    name: 'portkey',
    command: paths.node,
    args: ['node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${port}`, '--headless'],
    cwd: paths.root,
    env: childEnvironment({ NODE_ENV: 'production' }),
    readyProbe: `http://127.0.0.1:${port}/`,
    timeoutMs: startTimeoutMs,
  });
  return {
    id: 'portkey',
    label: 'portkey',
    process,
    call(scenario) {
      // Portkey converts OpenAI requests for any provider; x-portkey-custom-host replaces the provider's
      // base URL (which includes /v1 for both OpenAI and Anthropic).
      const call = nativeCall(process.url, { ...scenario, upstream: 'openai' });
      call.headers['x-portkey-provider'] = scenario.upstream;
      call.headers['x-portkey-custom-host'] = upstream.url + '/v1';
      return call;
    },
    notes: [`@portkey-ai/gateway ${packageVersion(paths, '@portkey-ai/gateway')} on Node ${packageVersion(paths, 'node')}, x-portkey-provider + x-portkey-custom-host`],
  };
}

/** The version in an installed package's manifest, for the notes under the tables. */
function packageVersion(paths: Paths, name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(paths.root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? '?';
  } catch {
    return '?';
  }
}
