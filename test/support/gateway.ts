/**
 * Runs the real gateway as a child process, the way a user starts it: a YAML config written to a temp
 * file, `server --config FILE --port 0 --host 127.0.0.1`, ready when it prints `lessllm listening on …`.
 *
 * Which program runs: `LESSLLM_TEST_COMMAND` when set (e.g. `dist/lessllm`, relative to the repository),
 * else the runtime running the tests on src/main.ts, so `bun test`, `deno test` and `node --test` each
 * prove the gateway on their own runtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const readyPrefix = 'lessllm listening on ';
/** Deno compiles the sources on first start; a cold start on a busy 2-core machine takes seconds. */
const startTimeoutMs = 60_000;
const stopTimeoutMs = 5_000;

export type GatewayOptions = {
  /** The config file's content: YAML text, or an object written as YAML. */
  config: string | Record<string, unknown>;
  /** Extra environment variables for the child (e.g. values for `${VAR}` in the config). */
  env?: Record<string, string>;
};

export class RunningGateway {
  /** e.g. http://127.0.0.1:40123 */
  url = '';
  private output = '';
  private stopping = false;
  private readonly child: ChildProcess;
  private readonly temporaryDirectory: string;
  private readonly exit: Promise<number | null>;
  private readonly killOnExit = () => {
    this.child.kill('SIGKILL');
    rmSync(this.temporaryDirectory, { recursive: true, force: true });
  };

  constructor(child: ChildProcess, temporaryDirectory: string) {
    this.child = child;
    this.temporaryDirectory = temporaryDirectory;
    this.exit = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    child.stdout?.on('data', (piece: Buffer) => (this.output += piece.toString('utf8')));
    child.stderr?.on('data', (piece: Buffer) => (this.output += piece.toString('utf8')));
    // Never leave a gateway behind, even when the test process ends abruptly.
    process.once('exit', this.killOnExit);
    void this.exit.then((code) => {
      if (!this.stopping) printOutput(`the gateway exited unexpectedly (code ${code})`, this.output);
    });
  }

  /** Everything the gateway printed so far (stdout and stderr interleaved). */
  get log(): string {
    return this.output;
  }

  /** Resolves with the base URL once the ready line appears; rejects if the child dies or hangs first. */
  async waitUntilReady(): Promise<string> {
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      const url = findReadyUrl(this.output);
      if (url !== undefined) return (this.url = url);
      if (await settlesWithin(this.exit, 20)) throw new Error(`the gateway exited before it was ready:\n${this.output}`);
    }
    throw new Error(`the gateway printed no "${readyPrefix}…" line within ${startTimeoutMs} ms:\n${this.output}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    process.removeListener('exit', this.killOnExit);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      if (!(await settlesWithin(this.exit, stopTimeoutMs))) {
        printOutput(`the gateway ignored SIGTERM for ${stopTimeoutMs} ms; killing it`, this.output);
        this.child.kill('SIGKILL');
        await this.exit;
      }
    }
    rmSync(this.temporaryDirectory, { recursive: true, force: true });
  }

  /**
   * Sends a signal without waiting (e.g. SIGTERM to watch a graceful shutdown); `exited` then tells how
   * it ended. `stop()` afterwards only cleans up.
   */
  signal(name: NodeJS.Signals): void {
    this.stopping = true;
    // Not child.kill(): under Deno that marks the child as killed by the signal, and its exit is then
    // reported as (null, signal) even when it handled the signal and exited 0.
    if (this.child.pid !== undefined) process.kill(this.child.pid, name);
  }

  /** The exit code once the process has ended (null when a signal killed it). */
  get exited(): Promise<number | null> {
    return this.exit;
  }

  printOutput(reason: string, sinceOffset = 0): void {
    printOutput(reason, this.output.slice(sinceOffset));
  }
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const temporaryDirectory = mkdtempSync(join(tmpdir(), 'lessllm-test-'));
  const configPath = join(temporaryDirectory, 'lessllm.yaml');
  writeFileSync(configPath, typeof options.config === 'string' ? options.config : stringify(options.config));
  const { command, args } = gatewayCommand();
  const child = spawn(command, [...args, 'server', '--config', configPath, '--port', '0', '--host', '127.0.0.1'], {
    cwd: repositoryRoot,
    env: gatewayEnvironment(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const gateway = new RunningGateway(child, temporaryDirectory);
  try {
    await gateway.waitUntilReady();
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return gateway;
}

/** The program and leading arguments that run `lessllm` on the runtime under test (or LESSLLM_TEST_COMMAND). */
export function gatewayCommand(): { command: string; args: string[] } {
  const override = process.env.LESSLLM_TEST_COMMAND?.trim();
  if (override) {
    const [program, ...args] = override.split(' ').filter((word) => word !== '');
    const command = program.includes('/') && !isAbsolute(program) ? resolve(repositoryRoot, program) : program;
    return { command, args };
  }
  const runtime = globalThis as { Bun?: unknown; Deno?: { execPath(): string } };
  if (runtime.Deno) return { command: runtime.Deno.execPath(), args: ['run', '-A', 'src/main.ts'] };
  // Bun and Node both report their own binary here.
  return { command: process.execPath, args: ['src/main.ts'] };
}

function gatewayEnvironment(extra: Record<string, string>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The gateway under test must not export telemetry anywhere or pick up the test's own settings.
    if (value !== undefined && !name.startsWith('OTEL_') && !name.startsWith('LESSLLM_')) environment[name] = value;
  }
  environment.NO_PROXY = '127.0.0.1,localhost';
  environment.no_proxy = '127.0.0.1,localhost';
  return { ...environment, ...extra };
}

function findReadyUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const start = line.indexOf(readyPrefix);
    if (start !== -1) return line.slice(start + readyPrefix.length).trim();
  }
  return undefined;
}

function printOutput(reason: string, output: string): void {
  process.stderr.write(`\n── gateway output (${reason}) ──\n${output}\n── end of gateway output ──\n`);
}

/** True when the promise settles within the time; the timer is cleared so it never holds the process. */
export async function settlesWithin(promise: Promise<unknown>, milliseconds: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolveTimeout) => (timer = setTimeout(() => resolveTimeout(false), milliseconds)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
