/**
 * Closed-loop load from `wrk` (Debian package): a fixed number of connections, each sending the next
 * request as soon as the last answer is complete, for a fixed time. A generated Lua script sets the POST
 * body and headers and prints wrk's own summary as one JSON line at the end.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpCall } from './contenders.ts';

export type WrkResult = {
  requests: number;
  seconds: number;
  /** Answers with a 2xx/3xx status, per second. */
  requestsPerSecond: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
};

const marker = 'BENCH_WRK ';

export function wrkAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('wrk', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(true));
  });
}

export async function runWrk(call: HttpCall, options: { connections: number; seconds: number; scriptDirectory: string }): Promise<WrkResult> {
  const scriptPath = join(options.scriptDirectory, 'post.lua');
  writeFileSync(scriptPath, luaScript(call));
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', scriptPath, call.url];
  const output = await runBounded('wrk', args, (options.seconds + 20) * 1000);
  const line = output.split('\n').find((candidate) => candidate.startsWith(marker));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${output.slice(0, 2000)}`);
  const summary = JSON.parse(line.slice(marker.length)) as {
    requests: number;
    duration_us: number;
    connect: number;
    read: number;
    write: number;
    status: number;
    timeout: number;
    p50: number;
    p99: number;
    mean: number;
  };
  const seconds = summary.duration_us / 1e6;
  const errors = summary.connect + summary.read + summary.write + summary.status + summary.timeout;
  return {
    requests: summary.requests,
    seconds,
    requestsPerSecond: Math.max(0, summary.requests - summary.status) / seconds,
    errors,
    p50Ms: summary.p50 / 1000,
    p99Ms: summary.p99 / 1000,
    meanMs: summary.mean / 1000,
  };
}

function luaString(value: string): string {
  // A long bracket string cannot contain its own closing bracket; nothing we send does.
  if (value.includes(']==]')) throw new Error('value not representable in the wrk script');
  return `[==[${value}]==]`;
}

function luaScript(call: HttpCall): string {
  // `[[` would open a Lua long string, hence the spaces inside the index brackets.
  const headers = Object.entries(call.headers).map(([name, value]) => `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`);
  return [
    'wrk.method = "POST"',
    `wrk.body = ${luaString(call.body)}`,
    ...headers,
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${marker}{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d,"mean":%.1f}\\n',`,
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99), latency.mean))',
    'end',
    '',
  ].join('\n');
}

/** Runs a program to completion, killing it if it outlives the time limit; returns stdout and stderr. */
export function runBounded(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
    child.stderr.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const killWithUs = () => child.kill('SIGKILL');
    process.once('exit', killWithUs);
    child.once('error', (error) => {
      clearTimeout(timer);
      process.removeListener('exit', killWithUs);
      reject(error);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      process.removeListener('exit', killWithUs);
      resolve(output);
    });
  });
}
