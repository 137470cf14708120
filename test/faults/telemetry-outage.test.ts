/**
 * A telemetry outage never touches traffic: with the OTLP endpoint on a closed port, or on a collector
 * that accepts the connection and never answers, and with the log database on a path that cannot be
 * written, the running gateway still answers every call on every route correctly, and still stops
 * cleanly (exit code 0, within its bounded flush) on SIGTERM. The losses are counted in
 * lessllm_telemetry_dropped_total. (The observer's own behaviour under these faults is unit-tested in
 * test/telemetry/faults.test.ts; this is the whole process.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anthropicClient, openAiClient } from '../support/clients.ts';
import { MOCK_MODEL, standardConfig } from '../support/e2e-setup.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { freePort } from '../support/loopback.ts';
import { routesForAnthropicClient, routesForOpenAiClient } from '../support/routes.ts';
import { TestUpstream } from '../support/test-upstream.ts';
import { DEFAULT_ANSWER_TEXT } from '../support/upstream-answers.ts';
import { OtlpReceiver } from '../telemetry/support/otlp-receiver.ts';
import { parsePrometheusText, samplesOf } from '../telemetry/support/prometheus-text.ts';
import { within } from './support/observed-gateway.ts';

const answer = DEFAULT_ANSWER_TEXT.join('');
/** The gateway bounds its telemetry flush at shutdown; past this it is stuck on the outage. */
const exitWithinMs = 20_000;
/** Bun's node:test gives each test 5 s unless told otherwise; these wait on exporters that time out. */
const patience = { timeout: 60_000 };

type Outage = { label: string; endpoint: () => Promise<string> };

describe('a telemetry outage does not touch traffic', () => {
  let stallingCollector: OtlpReceiver;
  before(async () => {
    stallingCollector = await OtlpReceiver.start();
    stallingCollector.behaviour = 'stall';
  });
  after(async () => {
    await stallingCollector?.stop();
  });

  const outages: Outage[] = [
    { label: 'the OTLP endpoint is a closed port', endpoint: async () => `http://127.0.0.1:${await freePort()}` },
    { label: 'the OTLP collector accepts and never answers', endpoint: async () => stallingCollector.url },
  ];

  for (const outage of outages) {
    describe(`${outage.label}, and the log database cannot be written`, () => {
      let upstream: TestUpstream;
      let gateway: RunningGateway;
      let directory: string;

      before(async () => {
        upstream = await TestUpstream.start();
        directory = mkdtempSync(join(tmpdir(), 'lessllm-outage-'));
        // A regular file where the database's folder should be: no process, root included, can create it.
        const notAFolder = join(directory, 'not-a-folder');
        writeFileSync(notAFolder, 'this is a file');
        gateway = await startGateway({
          config: { ...standardConfig(upstream), log: { database: `sqlite:${join(notAFolder, 'calls.db')}`, flush_interval_ms: 50 } },
          env: {
            OTEL_EXPORTER_OTLP_ENDPOINT: await outage.endpoint(),
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
            OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
            OTEL_BSP_SCHEDULE_DELAY: '20',
            OTEL_METRIC_EXPORT_INTERVAL: '200',
          },
        });
      });
      after(async () => {
        await gateway?.stop();
        await upstream?.stop();
        if (directory) rmSync(directory, { recursive: true, force: true });
      });

      it('answers every route, streaming and not, through both SDKs', patience, async () => {
        // Three rounds, so later calls run while earlier exports are failing or hanging.
        for (let round = 0; round < 3; round++) {
          const openai = openAiClient(gateway);
          for (const route of routesForOpenAiClient) {
            const completion = await openai.chat.completions.create({ model: route.model, messages: [{ role: 'user', content: 'hi' }] });
            assert.equal(completion.choices[0].message.content, answer, route.label);
            const streamed = await openai.chat.completions.stream({ model: route.model, messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
            assert.equal(streamed.choices[0].message.content, answer, route.label);
          }
          const anthropic = anthropicClient(gateway);
          for (const route of routesForAnthropicClient) {
            const message = await anthropic.messages.create({ model: route.model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
            assert.equal(message.content[0].type === 'text' && message.content[0].text, answer, route.label);
            const streamed = await anthropic.messages.stream({ model: route.model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
            assert.equal(streamed.stop_reason, 'end_turn', route.label);
          }
          const local = await openai.chat.completions.stream({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
          assert.equal(local.choices[0].finish_reason, 'stop');
        }
        assert.equal((await fetch(`${gateway.url}/health`)).status, 200);
      });

      it('counts what it could not deliver in lessllm_telemetry_dropped_total', patience, async () => {
        const dropped = async () => {
          const samples = parsePrometheusText(await (await fetch(`${gateway.url}/metrics`)).text());
          return samplesOf(samples, 'lessllm_telemetry_dropped_total').reduce((sum, sample) => sum + sample.value, 0);
        };
        const deadline = Date.now() + 15_000;
        let total = await dropped();
        while (total === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          total = await dropped();
        }
        assert.ok(total > 0, 'losses are counted');
      });

      it('still exits with code 0 on SIGTERM, within its bounded flush', patience, async () => {
        gateway.signal('SIGTERM');
        const code = await within(gateway.exited, exitWithinMs);
        assert.equal(code, 0, `exit code (undefined: still running ${exitWithinMs} ms after SIGTERM)\n${gateway.log}`);
      });
    });
  }
});
