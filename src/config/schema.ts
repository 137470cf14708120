/**
 * The shape of lessllm.yaml, as TypeBox schemas: the same library that validates request bodies checks
 * the config, and its error paths point at the offending line.
 */
import { Type, type Static } from '@sinclair/typebox';
import { mcpProviderSchema } from '../providers/mcp-bridge/config.ts';
import { authSectionSchema, limitsSectionSchema } from '../security/config-schema.ts';
import { logSectionSchema, pricingSectionSchema, telemetrySectionSchema } from '../telemetry/config-schema.ts';

const milliseconds = (description: string) => Type.Integer({ minimum: 0, description: `${description}; 0 = no limit` });

export const timeoutsSchema = Type.Object(
  {
    connect_ms: Type.Optional(milliseconds('until the response headers of a streaming call')),
    first_byte_ms: Type.Optional(milliseconds('until the first byte of the response body')),
    idle_ms: Type.Optional(milliseconds('longest silence between two chunks of the body')),
    total_ms: Type.Optional(milliseconds('the whole call')),
  },
  { additionalProperties: false },
);

export const retrySchema = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'tries per target, the first included' })),
    backoff_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'first pause; doubles per retry' })),
    max_backoff_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    max_retry_after_ms: Type.Optional(Type.Integer({ minimum: 0, description: "a longer upstream retry-after moves on to the next target" })),
  },
  { additionalProperties: false },
);

const headersSchema = Type.Record(Type.String(), Type.String(), {
  description: 'extra headers sent upstream with every request',
});

const openAiProviderSchema = Type.Object(
  {
    type: Type.Literal('openai'),
    base_url: Type.String({ description: 'includes /v1, as in the OpenAI SDK' }),
    api_key: Type.Optional(Type.String()),
    headers: Type.Optional(headersSchema),
    timeouts: Type.Optional(timeoutsSchema),
  },
  { additionalProperties: false },
);

const anthropicProviderSchema = Type.Object(
  {
    type: Type.Literal('anthropic'),
    base_url: Type.String({ description: 'without /v1, as in the Anthropic SDK' }),
    api_key: Type.Optional(Type.String()),
    headers: Type.Optional(headersSchema),
    timeouts: Type.Optional(timeoutsSchema),
    anthropic_version: Type.Optional(Type.String()),
    default_max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const mockProviderSchema = Type.Object(
  {
    type: Type.Literal('mock'),
    ttft_ms: Type.Optional(Type.Number({ minimum: 0 })),
    tokens_per_second: Type.Optional(Type.Number({ minimum: 0 })),
    output_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const providerSchema = Type.Union([openAiProviderSchema, anthropicProviderSchema, mockProviderSchema, mcpProviderSchema]);

/** Per type, so a mistake inside one provider is reported against that type's fields, not as "expected union". */
export const providerSchemaByType = {
  openai: openAiProviderSchema,
  anthropic: anthropicProviderSchema,
  mock: mockProviderSchema,
  mcp: mcpProviderSchema,
} as const;

const upstreamModel = Type.String({ minLength: 1, description: 'the model name sent upstream instead' });

export const routeTargetSchema = Type.Object(
  {
    provider: Type.String({ minLength: 1 }),
    model: Type.Optional(upstreamModel),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'share of calls tried first, with strategy: weighted' })),
  },
  { additionalProperties: false },
);

/** Either one `provider` (and `model`), or a list of `targets` tried in turn. */
export const routeSchema = Type.Object(
  {
    match: Type.String({ minLength: 1, description: 'glob on the model name the client sends: * and ?' }),
    provider: Type.Optional(Type.String({ minLength: 1 })),
    model: Type.Optional(upstreamModel),
    targets: Type.Optional(Type.Array(routeTargetSchema, { minItems: 1 })),
    strategy: Type.Optional(Type.Union([Type.Literal('fallback'), Type.Literal('weighted')])),
    retry: Type.Optional(retrySchema),
  },
  { additionalProperties: false },
);

export const serverSchema = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    max_body_bytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    shutdown_grace_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'how long calls in flight may finish after SIGTERM' })),
  },
  { additionalProperties: false },
);

export const configFileSchema = Type.Object(
  {
    server: Type.Optional(serverSchema),
    providers: Type.Record(Type.String(), providerSchema),
    routes: Type.Array(routeSchema, { minItems: 1 }),
    timeouts: Type.Optional(timeoutsSchema),
    retry: Type.Optional(retrySchema),
    // Defined by the security module (gateway keys and per-key limits).
    auth: Type.Optional(authSectionSchema),
    limits: Type.Optional(limitsSectionSchema),
    // Defined by the telemetry module; checked here too so mistakes get a file:line.
    telemetry: Type.Optional(telemetrySectionSchema),
    pricing: Type.Optional(pricingSectionSchema),
    log: Type.Optional(logSectionSchema),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof configFileSchema>;
export type ProviderEntry = Static<typeof providerSchema>;
export type TimeoutsEntry = Static<typeof timeoutsSchema>;
export type RetryEntry = Static<typeof retrySchema>;
