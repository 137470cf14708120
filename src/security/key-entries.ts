/**
 * Collects the configured gateway keys from `auth.keys` and the key file named by `auth.key_file`, checks
 * what the schema cannot (exactly one of key / key_sha256, long enough keys, no duplicate names or keys)
 * and reduces each to its name, hash and restrictions. Messages say where an entry is, never the key.
 */
import { isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseYamlWithPositions } from '../config/yaml-document.ts';
import { keyFileSchema, type AuthSection, type GatewayKeyEntry, type KeyFile, type KeyLimitsEntry } from './config-schema.ts';
import { hashKey, hexToBytes, minimumKeyLength } from './key-material.ts';

export class KeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyConfigError';
  }
}

export type ConfiguredKey = {
  name: string;
  /** SHA-256 of the key, 32 bytes. */
  digest: Uint8Array;
  models: readonly string[] | undefined;
  limits: KeyLimitsEntry | undefined;
  /** Where the entry was written, for messages: `auth.keys.1` or `keys.yaml:4:5: keys.0`. */
  origin: string;
};

export type ReadTextFile = (path: string) => string;

export function collectConfiguredKeys(auth: AuthSection | undefined, configDirectory: string, readFile: ReadTextFile): ConfiguredKey[] {
  const keys = (auth?.keys ?? []).map((entry, index) => configuredKey(entry, `auth.keys.${index}`));
  if (auth?.key_file !== undefined) keys.push(...readKeyFile(resolveBeside(configDirectory, auth.key_file), readFile));
  rejectDuplicates(keys);
  return keys;
}

function resolveBeside(configDirectory: string, path: string): string {
  return isAbsolute(path) ? path : resolve(configDirectory, path);
}

function readKeyFile(path: string, readFile: ReadTextFile): ConfiguredKey[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
    throw new KeyConfigError(`${path}: cannot read the key file (auth.key_file): ${reason}`);
  }
  const { document, whereIs, firstError } = parseYamlWithPositions(text, path);
  if (firstError) throw new KeyConfigError(`${firstError.at}: invalid YAML in the key file: ${firstError.message}`);
  const content: unknown = document.toJS();
  const schemaError = Value.Errors(keyFileSchema, content).First();
  if (schemaError) {
    const segments = schemaError.path.split('/').filter(Boolean);
    // Never echo the value: in a key file it may well be a key.
    throw new KeyConfigError(`${whereIs(segments)}: ${segments.join('.') || '(root)'}: ${schemaError.message.toLowerCase()}`);
  }
  const entries = (content as KeyFile).keys;
  if (entries.length === 0) {
    // An empty file must not silently switch authentication off.
    throw new KeyConfigError(`${path}: the key file lists no keys (remove auth.key_file to run without authentication)`);
  }
  return entries.map((entry, index) => configuredKey(entry, `${whereIs(['keys', String(index)])}: keys.${index}`));
}

function configuredKey(entry: GatewayKeyEntry, origin: string): ConfiguredKey {
  const label = `${origin} (${entry.name})`;
  if ((entry.key === undefined) === (entry.key_sha256 === undefined)) {
    throw new KeyConfigError(`${label}: give exactly one of key (the key itself) or key_sha256 (its SHA-256 in hex)`);
  }
  if (entry.key !== undefined && entry.key.length < minimumKeyLength) {
    throw new KeyConfigError(
      `${label}: the key is ${entry.key.length} characters long; a gateway key needs at least ${minimumKeyLength} (make one with: lessllm key new)`,
    );
  }
  const hex = entry.key !== undefined ? hashKey(entry.key) : entry.key_sha256!.toLowerCase();
  return { name: entry.name, digest: hexToBytes(hex), models: entry.models, limits: entry.limits, origin: label };
}

function rejectDuplicates(keys: readonly ConfiguredKey[]): void {
  const byName = new Map<string, ConfiguredKey>();
  const byHash = new Map<string, ConfiguredKey>();
  for (const key of keys) {
    const earlier = byName.get(key.name);
    if (earlier) throw new KeyConfigError(`${key.origin}: the name "${key.name}" is already used by ${earlier.origin}; names must be unique`);
    byName.set(key.name, key);
    const hex = Array.from(key.digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
    const sameKey = byHash.get(hex);
    if (sameKey) throw new KeyConfigError(`${key.origin}: the same key as ${sameKey.origin}; each key must be different`);
    byHash.set(hex, key);
  }
}
