/**
 * promtool on the shipped Prometheus files: the config (with its rule files) is valid, the alert rules
 * are valid, and the rules' unit tests (otel/alerts.test.yml: each alert fires and resolves on
 * synthetic series) pass. CI installs promtool with Debian's `prometheus` package.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { findProgram } from './processes.ts';
import { loadAlertRules, repositoryRoot } from './stack-files.ts';

const promtool = findProgram('promtool');
const noPromtool = promtool ? false : 'promtool is not installed (Debian: apt-get install prometheus)';
if (noPromtool) process.stderr.write(`test/observability/promtool.test.ts: skipped, ${noPromtool}\n`);

function runPromtool(...args: string[]): string {
  const run = spawnSync(promtool!, args, { cwd: repositoryRoot, encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `promtool ${args.join(' ')} failed:\n${output}`);
  return output;
}

describe('promtool', { skip: noPromtool }, () => {
  it('accepts otel/prometheus.yml and the rule files it loads', () => {
    const output = runPromtool('check', 'config', 'otel/prometheus.yml');
    assert.match(output, /SUCCESS: otel\/prometheus\.yml is valid/);
  });

  it('accepts every rule in otel/alerts.yml', () => {
    const output = runPromtool('check', 'rules', 'otel/alerts.yml');
    assert.match(output, new RegExp(`SUCCESS: ${loadAlertRules().length} rules found`));
  });

  it('passes the alert unit tests: each alert fires and resolves when it should', () => {
    const output = runPromtool('test', 'rules', 'otel/alerts.test.yml');
    assert.match(output, /SUCCESS/);
  });
});
