/**
 * The `lessllm` command: `lessllm server` runs the gateway, `lessllm logs` prints the latest rows of
 * the log table. Runs unchanged on Bun, Deno and Node ≥ 22, and as the compiled executable.
 */
// First: on Bun, may restart the process with a higher fetch limit before anything else runs.
import './runtime/raise-fetch-cap.ts';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfig, loadConfigFile } from './config/load-config.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import { CallAdmission } from './gateway/admission.ts';
import { CollectionPacing } from './gateway/collection-pacing.ts';
import { CallRegistry } from './gateway/call-registry.ts';
import { currentRuntime } from './runtime/current-runtime.ts';
import { loadCollections } from './runtime/collections.ts';
import { serve } from './runtime/serve.ts';
import { KeyConfigError } from './security/gateway-keys.ts';
import { createTelemetry, TelemetryConfigError, telemetryOptionsFromConfig, type TelemetryOptions } from './telemetry/index.ts';

const usage = `usage: lessllm <command> [options]

commands:
  server    run the gateway (the default)
  logs      print the latest calls from the log table
  key       make a gateway key (key new [--name NAME]) or hash one for a key file (key hash [KEY])

options:
  --config FILE   config file (default: $LESSLLM_CONFIG, else ./lessllm.yaml if present, else built-in mock)
  --host HOST     listen address (overrides server.host)
  --port PORT     listen port (overrides server.port; 0 picks a free one)
  -h, --help      show this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const command = positionals[0] ?? 'server';
  switch (command) {
    case 'server':
      return runServer(values as { config?: string; host?: string; port?: string });
    case 'logs': {
      const { runLogsCommand } = await import('./telemetry/log-table/cli.ts');
      return runLogsCommand(argv.slice(1));
    }
    case 'key': {
      const { runKeyCommand } = await import('./security/key-command.ts');
      return runKeyCommand(argv.slice(argv.indexOf('key') + 1));
    }
    default:
      process.stderr.write(`lessllm: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}

function loadConfig(path: string | undefined): GatewayConfig {
  const chosen = path ?? process.env.LESSLLM_CONFIG ?? (existsSync('lessllm.yaml') ? 'lessllm.yaml' : undefined);
  return chosen === undefined ? defaultConfig() : loadConfigFile(chosen, process.env);
}

async function runServer(options: { config?: string; host?: string; port?: string }): Promise<number> {
  let config: GatewayConfig;
  let telemetryOptions: TelemetryOptions;
  let admission: CallAdmission;
  try {
    config = loadConfig(options.config);
    telemetryOptions = telemetryOptionsFromConfig(config.telemetrySections, process.env);
    admission = new CallAdmission(config);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TelemetryConfigError || error instanceof KeyConfigError) {
      process.stderr.write(`lessllm: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const host = options.host ?? config.server.host;
  const port = options.port === undefined ? config.server.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`lessllm: --port must be a number from 0 to 65535 (got ${options.port})\n`);
    return 2;
  }

  const telemetry = await createTelemetry(telemetryOptions);
  const collections = await loadCollections();
  const collectionPacing = collections ? new CollectionPacing({ collections }) : undefined;
  const registry = new CallRegistry(collectionPacing ? (count) => collectionPacing.inFlight(count) : undefined);
  const server = await serve({ config, observer: telemetry.observer, metrics: () => telemetry.metricsHandler(), admission, registry }, host, port);
  process.stdout.write(`lessllm listening on ${server.url}\n`);
  const routes = config.routes.map((route) => `${route.match} → ${route.targets.map((target) => target.provider).join(' | ')}`).join(', ');
  process.stdout.write(`  config: ${config.source}; runtime: ${currentRuntime()}; routes: ${routes}\n`);
  if (!admission.keys.enabled) {
    const reachable = isLoopback(host) ? 'only this machine can reach it' : `WARNING: listening on ${host} without keys, anyone who can reach it may use it`;
    process.stdout.write(`  no gateway keys configured (auth.keys): every caller is let in; ${reachable}\n`);
  }

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // Graceful: no new calls, the ones in flight get the grace period, then an error in their protocol.
  const graceMs = config.server.shutdownGraceMs;
  process.stdout.write(`lessllm: ${signal}: draining ${registry.size} calls (grace ${graceMs} ms)\n`);
  const closed = server.stopAccepting().catch(() => {});
  const ended = await registry.drain(graceMs);
  if (ended > 0) process.stdout.write(`lessllm: ended ${ended} calls still running after the grace period\n`);
  await Promise.race([closed, delay(1_000)]);
  await server.stop().catch(() => {});
  collectionPacing?.stop();
  // Spans, metrics and log rows still queued are written before exit (bounded: a dead collector cannot hold it).
  await telemetry.shutdown();
  process.stdout.write('lessllm: stopped\n');
  return 0;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const delay = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lessllm: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
