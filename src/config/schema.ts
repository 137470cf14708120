/**
 * The shape of lessllm.yaml, as TypeBox schemas: the same library that validates request bodies checks
 * the config, and its error paths point at the offending line.
 */
import { Type, type Static } from '@sinclair/typebox';
import { mcpProviderSchema } from '../providers/mcp-bridge/config.ts';
import { logSectionSchema, pricingSectionSchema, telemetrySectionSchema } from '../telemetry/config-schema.ts';

const headersSchema = Type.Record(Type.String(), Type.String(), {
  description: 'extra headers sent upstream with every request',
});

const openAiProviderSchema = Type.Object(
  {
    type: Type.Literal('openai'),
    base_url: Type.String({ description: 'includes /v1, as in the OpenAI SDK' }),
    api_key: Type.Optional(Type.String()),
    headers: Type.Optional(headersSchema),
  },
  { additionalProperties: false },
);

const anthropicProviderSchema = Type.Object(
  {
    type: Type.Literal('anthropic'),
    base_url: Type.String({ description: 'without /v1, as in the Anthropic SDK' }),
    api_key: Type.Optional(Type.String()),
    headers: Type.Optional(headersSchema),
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

export const routeSchema = Type.Object(
  {
    match: Type.String({ minLength: 1, description: 'glob on the model name the client sends: * and ?' }),
    provider: Type.String({ minLength: 1 }),
    model: Type.Optional(Type.String({ minLength: 1, description: 'the model name sent upstream instead' })),
  },
  { additionalProperties: false },
);

export const serverSchema = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    max_body_bytes: Type.Optional(Type.Integer({ minimum: 1024 })),
  },
  { additionalProperties: false },
);

export const configFileSchema = Type.Object(
  {
    server: Type.Optional(serverSchema),
    providers: Type.Record(Type.String(), providerSchema),
    routes: Type.Array(routeSchema, { minItems: 1 }),
    // Defined by the telemetry module; checked here too so mistakes get a file:line.
    telemetry: Type.Optional(telemetrySectionSchema),
    pricing: Type.Optional(pricingSectionSchema),
    log: Type.Optional(logSectionSchema),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof configFileSchema>;
export type ProviderEntry = Static<typeof providerSchema>;
