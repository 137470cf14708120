/** The log table for PostgreSQL. Keep in step with schema.sqlite.ts; migrations: see migrations/README.md. */
import { bigint, boolean, doublePrecision, index, uniqueIndex, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { HttpDetails } from '../content-capture.ts';

export const callsTable = pgTable(
  'lessllm_calls',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    traceId: text('trace_id'),
    spanId: text('span_id'),
    clientProtocol: text('client_protocol').notNull(),
    provider: text('provider').notNull(),
    providerType: text('provider_type').notNull(),
    route: text('route').notNull(),
    requestedModel: text('requested_model').notNull(),
    upstreamModel: text('upstream_model').notNull(),
    responseModel: text('response_model'),
    stream: boolean('stream').notNull(),
    status: integer('status').notNull(),
    errorType: text('error_type'),
    ttftMs: doublePrecision('ttft_ms'),
    tpotMs: doublePrecision('tpot_ms'),
    tokensPerSecond: doublePrecision('tokens_per_second'),
    durationMs: doublePrecision('duration_ms').notNull(),
    overheadMs: doublePrecision('overhead_ms').notNull(),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    cacheReadTokens: integer('cache_read_tokens'),
    cacheWriteTokens: integer('cache_write_tokens'),
    usageEstimated: boolean('usage_estimated').notNull(),
    costUsd: doublePrecision('cost_usd').notNull(),
    costKnown: boolean('cost_known').notNull(),
    requestBody: text('request_body'),
    responseBody: text('response_body'),
    keyName: text('key_name'),
    attempts: integer('attempts'),
    /** Unique per call: a batch written again after a lost answer skips the rows it already wrote. */
    callId: text('call_id'),
    httpDetails: jsonb('http_details').$type<HttpDetails>().notNull(),
  },
  (table) => [
    index('lessllm_calls_started_at_idx').on(table.startedAt),
    index('lessllm_calls_requested_model_idx').on(table.requestedModel, table.startedAt),
    uniqueIndex('lessllm_calls_call_id_idx').on(table.callId),
  ],
);
