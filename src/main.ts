/**
 * The `lessllm` command: `lessllm server` runs the gateway, `lessllm logs` prints the latest rows of
 * the log table. Runs unchanged on Bun, Deno and Node ≥ 22, and as the compiled executable.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfig, loadConfigFile } from './config/load-config.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import { currentRuntime, serve } from './runtime/serve.ts';
import { createTelemetry, TelemetryConfigError, telemetryOptionsFromConfig, type TelemetryOptions } from './telemetry/index.ts';

const usage = `usage: lessllm <command> [options]

commands:
  server    run the gateway (the default)
  logs      print the latest calls from the log table

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
  try {
    config = loadConfig(options.config);
    telemetryOptions = telemetryOptionsFromConfig(config.telemetrySections, process.env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TelemetryConfigError) {
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
  const server = await serve({ config, observer: telemetry.observer, metrics: () => telemetry.metricsHandler() }, host, port);
  process.stdout.write(`lessllm listening on ${server.url}\n`);
  process.stdout.write(`  config: ${config.source}; runtime: ${currentRuntime()}; routes: ${config.routes.map((route) => `${route.match} → ${route.provider}`).join(', ')}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  // Spans, metrics and log rows still queued are written before exit (bounded: a dead collector cannot hold it).
  await telemetry.shutdown();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lessllm: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
