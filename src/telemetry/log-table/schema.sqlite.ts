/** The log table for SQLite. Keep in step with schema.postgres.ts; migrations: see migrations/README.md. */
import { index, uniqueIndex, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { HttpDetails } from '../content-capture.ts';

export const callsTable = sqliteTable(
  'lessllm_calls',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    traceId: text('trace_id'),
    spanId: text('span_id'),
    clientProtocol: text('client_protocol').notNull(),
    provider: text('provider').notNull(),
    providerType: text('provider_type').notNull(),
    route: text('route').notNull(),
    requestedModel: text('requested_model').notNull(),
    upstreamModel: text('upstream_model').notNull(),
    responseModel: text('response_model'),
    stream: integer('stream', { mode: 'boolean' }).notNull(),
    status: integer('status').notNull(),
    errorType: text('error_type'),
    ttftMs: real('ttft_ms'),
    tpotMs: real('tpot_ms'),
    tokensPerSecond: real('tokens_per_second'),
    durationMs: real('duration_ms').notNull(),
    overheadMs: real('overhead_ms').notNull(),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    cacheReadTokens: integer('cache_read_tokens'),
    cacheWriteTokens: integer('cache_write_tokens'),
    usageEstimated: integer('usage_estimated', { mode: 'boolean' }).notNull(),
    costUsd: real('cost_usd').notNull(),
    costKnown: integer('cost_known', { mode: 'boolean' }).notNull(),
    requestBody: text('request_body'),
    responseBody: text('response_body'),
    keyName: text('key_name'),
    attempts: integer('attempts'),
    /** Unique per call: a batch written again after a lost answer skips the rows it already wrote. */
    callId: text('call_id'),
    httpDetails: text('http_details', { mode: 'json' }).$type<HttpDetails>().notNull(),
  },
  (table) => [
    index('lessllm_calls_started_at_idx').on(table.startedAt),
    index('lessllm_calls_requested_model_idx').on(table.requestedModel, table.startedAt),
    uniqueIndex('lessllm_calls_call_id_idx').on(table.callId),
  ],
);
