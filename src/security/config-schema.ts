/**
 * The `auth:` and `limits:` sections of lessllm.yaml (TypeBox schemas, composed into the config loader's
 * schema), and the same key-entry schema for the separate key file named by `auth.key_file`.
 *
 * "Exactly one of key / key_sha256" and "a plaintext key has at least 16 characters" are checked by
 * loadGatewayKeys, not here: a TypeBox union would report a mistake anywhere in an entry as "expected union
 * value", and the loader prints the offending value, which must never be a key.
 */
import { Type, type Static } from '@sinclair/typebox';

const perMinute = (what: string) =>
  Type.Integer({ minimum: 0, description: `${what} per minute per key; 0 or absent = unlimited` });

/** The limits a single key may override. */
export const keyLimitsSchema = Type.Object(
  {
    requests_per_minute: Type.Optional(perMinute('requests')),
    tokens_per_minute: Type.Optional(perMinute('input + output tokens of finished calls')),
    max_concurrent_streams: Type.Optional(
      Type.Integer({ minimum: 0, description: 'streaming calls in flight per key; 0 or absent = unlimited' }),
    ),
  },
  { additionalProperties: false },
);

export const gatewayKeyEntrySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'shown in telemetry instead of the key' }),
    key: Type.Optional(Type.String({ minLength: 1, description: 'the key itself, usually ${FROM_THE_ENVIRONMENT}' })),
    key_sha256: Type.Optional(
      Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the key in hex, so the config holds no secret' }),
    ),
    models: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'model globs (* and ?) this key may use; default: all' }),
    ),
    limits: Type.Optional(keyLimitsSchema),
  },
  { additionalProperties: false },
);

export const authSectionSchema = Type.Object(
  {
    keys: Type.Optional(Type.Array(gatewayKeyEntrySchema)),
    key_file: Type.Optional(
      Type.String({ minLength: 1, description: 'YAML file with a `keys:` list of the same shape, relative to the config file' }),
    ),
  },
  { additionalProperties: false },
);

/** Per key, or one bucket shared by everyone when no keys are configured. */
export const limitsSectionSchema = Type.Object(
  {
    max_messages: Type.Optional(Type.Integer({ minimum: 0, description: 'most messages in one request; 0 or absent = unlimited' })),
    requests_per_minute: Type.Optional(perMinute('requests')),
    tokens_per_minute: Type.Optional(perMinute('input + output tokens of finished calls')),
    max_concurrent_streams: Type.Optional(
      Type.Integer({ minimum: 0, description: 'streaming calls in flight per key; 0 or absent = unlimited' }),
    ),
  },
  { additionalProperties: false },
);

/** The whole key file: `keys:` and nothing else, so a typo is not silently ignored. */
export const keyFileSchema = Type.Object({ keys: Type.Array(gatewayKeyEntrySchema) }, { additionalProperties: false });

export type KeyLimitsEntry = Static<typeof keyLimitsSchema>;
export type GatewayKeyEntry = Static<typeof gatewayKeyEntrySchema>;
export type AuthSection = Static<typeof authSectionSchema>;
export type LimitsSection = Static<typeof limitsSectionSchema>;
export type KeyFile = Static<typeof keyFileSchema>;
