/**
 * Every telemetry name lessllm emits, in one place: OpenTelemetry GenAI semantic conventions v1.41, the
 * HTTP conventions for the server span, and lessllm's own `lessllm.*` names. Dashboards, alerts and the
 * tests read these strings; change one here and you change it everywhere.
 *
 * The strings are written out rather than imported from `@opentelemetry/semantic-conventions/incubating`:
 * GenAI names are still "development" status there and move between releases, and pinning them here
 * pins what lessllm emits to one version of the conventions.
 */

export const semconvVersion = '1.41.0';

// ── GenAI span attributes ──
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
/** All input tokens, cached ones included. */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';

export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';

/** The semconv event carrying the conversation (input, output, system instructions) as JSON strings. */
export const EVENT_GEN_AI_OPERATION_DETAILS = 'gen_ai.client.inference.operation.details';

// ── general and HTTP attributes ──
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_VERSION = 'service.version';

/** `error.type` of a call the client abandoned before it completed. */
export const ERROR_TYPE_CANCELLED = 'cancelled';

// ── lessllm's own span attributes ──
export const ATTR_LESSLLM_CLIENT_PROTOCOL = 'lessllm.client.protocol';
export const ATTR_LESSLLM_UPSTREAM_PROTOCOL = 'lessllm.upstream.protocol';
/** passthrough | converted | local */
export const ATTR_LESSLLM_ROUTE = 'lessllm.route';
/** The provider's name in the config (gen_ai.provider.name is its type). */
export const ATTR_LESSLLM_PROVIDER = 'lessllm.provider';
/** The model the client asked for, before a route alias rewrote it (gen_ai.request.model is what went upstream). */
export const ATTR_LESSLLM_CLIENT_MODEL = 'lessllm.client.model';
/** Seconds from the request reaching lessllm to the first content delta. */
export const ATTR_LESSLLM_TTFT = 'lessllm.ttft';
/** Seconds per output token after the first. */
export const ATTR_LESSLLM_TPOT = 'lessllm.tpot';
export const ATTR_LESSLLM_TOKENS_PER_SECOND = 'lessllm.tokens_per_second';
export const ATTR_LESSLLM_COST_USD = 'lessllm.cost.usd';
/** False when the model is not in the pricing table: the cost is then 0, not a guess. */
export const ATTR_LESSLLM_COST_KNOWN = 'lessllm.cost.known';
export const ATTR_LESSLLM_CHUNK_COUNT = 'lessllm.chunk_count';
export const ATTR_LESSLLM_RESPONSE_BYTES = 'lessllm.response.bytes';
/** True when the upstream sent no usage and the token counts come from a tokenizer. */
export const ATTR_LESSLLM_USAGE_ESTIMATED = 'lessllm.usage.estimated';
/** Seconds lessllm itself spent on the call (total minus time waiting on the upstream). */
export const ATTR_LESSLLM_OVERHEAD = 'lessllm.overhead';
/** The gateway key's configured name (never the key itself). */
export const ATTR_LESSLLM_KEY_NAME = 'lessllm.key.name';
/** Upstream requests sent for the call, retries and fallbacks included. */
export const ATTR_LESSLLM_ATTEMPTS = 'lessllm.attempts';
/** connect | first_byte | idle | total: the timeout that ended the call. */
export const ATTR_LESSLLM_TIMEOUT = 'lessllm.timeout';
/** Pause before the next try, in milliseconds, on a `lessllm.attempt` event. */
export const ATTR_LESSLLM_RETRY_DELAY_MS = 'lessllm.retry.delay_ms';
/** One per failed try, on the `chat` span. */
export const EVENT_LESSLLM_ATTEMPT = 'lessllm.attempt';

// ── lessllm's span events (bodies and HTTP details) ──
export const EVENT_LESSLLM_REQUEST = 'lessllm.request';
export const EVENT_LESSLLM_RESPONSE = 'lessllm.response';
export const EVENT_LESSLLM_HTTP = 'lessllm.http';
export const ATTR_LESSLLM_BODY = 'lessllm.body';
/** Set on an event whose content was shortened to fit telemetry.max_content_bytes. */
export const ATTR_LESSLLM_TRUNCATED = 'lessllm.truncated';
export const ATTR_LESSLLM_HTTP_REQUEST_HEADERS = 'lessllm.http.request.headers';
export const ATTR_LESSLLM_HTTP_RESPONSE_HEADERS = 'lessllm.http.response.headers';

// ── metrics ──
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN = 'gen_ai.server.time_to_first_token';
export const METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN = 'gen_ai.server.time_per_output_token';
export const METRIC_GEN_AI_USAGE_COST = 'gen_ai.usage.cost';
export const METRIC_LESSLLM_OUTPUT_TOKENS_PER_SECOND = 'lessllm.output_tokens_per_second';
export const METRIC_LESSLLM_GATEWAY_OVERHEAD = 'lessllm.gateway.overhead';
export const METRIC_LESSLLM_STREAMS_ACTIVE = 'lessllm.streams.active';
export const METRIC_LESSLLM_TELEMETRY_DROPPED = 'lessllm.telemetry.dropped';
export const METRIC_LESSLLM_REQUESTS_REFUSED = 'lessllm.requests.refused';
/** Label of lessllm.telemetry.dropped: what was dropped (see DroppedKind). */
export const ATTR_LESSLLM_DROPPED_KIND = 'lessllm.dropped.kind';

/**
 * Bucket boundaries. The first four are the ones the GenAI conventions give (ExplicitBucketBoundaries);
 * the lessllm ones are chosen for their ranges: cost from a hundredth of a cent to tens of dollars,
 * throughput from a slow reasoning model to a fast small one, overhead from 50 µs to half a second.
 */
export const BUCKETS_OPERATION_DURATION = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
export const BUCKETS_TOKEN_USAGE = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
export const BUCKETS_TIME_TO_FIRST_TOKEN = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
export const BUCKETS_TIME_PER_OUTPUT_TOKEN = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
export const BUCKETS_COST_USD = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50];
export const BUCKETS_TOKENS_PER_SECOND = [1, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000];
export const BUCKETS_GATEWAY_OVERHEAD = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];

export type HistogramDefinition = { name: string; unit: string; description: string; boundaries: number[] };

export const histogramDefinitions = {
  operationDuration: {
    name: METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
    unit: 's',
    description: 'GenAI operation duration: from the request reaching lessllm to the last byte sent to the client.',
    boundaries: BUCKETS_OPERATION_DURATION,
  },
  tokenUsage: {
    name: METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
    unit: '{token}',
    description: 'Input and output tokens used, by gen_ai.token.type.',
    boundaries: BUCKETS_TOKEN_USAGE,
  },
  timeToFirstToken: {
    name: METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
    unit: 's',
    description: 'Time from the request reaching lessllm to the first content delta, for successful responses.',
    boundaries: BUCKETS_TIME_TO_FIRST_TOKEN,
  },
  timePerOutputToken: {
    name: METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
    unit: 's',
    description: 'Time per output token after the first, for successful responses.',
    boundaries: BUCKETS_TIME_PER_OUTPUT_TOKEN,
  },
  cost: {
    name: METRIC_GEN_AI_USAGE_COST,
    unit: 'USD',
    description: 'Cost of a call from the pricing table (models with no known price are not recorded).',
    boundaries: BUCKETS_COST_USD,
  },
  tokensPerSecond: {
    name: METRIC_LESSLLM_OUTPUT_TOKENS_PER_SECOND,
    unit: '{token}/s',
    description: 'Output tokens per second after the first token, for successful responses.',
    boundaries: BUCKETS_TOKENS_PER_SECOND,
  },
  gatewayOverhead: {
    name: METRIC_LESSLLM_GATEWAY_OVERHEAD,
    unit: 's',
    description: 'Time lessllm itself added to a call: total duration minus time waiting on the upstream.',
    boundaries: BUCKETS_GATEWAY_OVERHEAD,
  },
} satisfies Record<string, HistogramDefinition>;
