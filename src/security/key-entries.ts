/**
 * Collects the configured gateway keys from `auth.keys` and the key file named by `auth.key_file`, checks
 * what the schema cannot (exactly one of key / key_sha256, long enough keys, no duplicate names or keys)
 * and reduces each to its name, hash and restrictions. Messages say where an entry is, never the key.
 */
import { isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
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
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return path;
    const { line, col } = lineCounter.linePos(offset);
    return `${path}:${line}:${col}`;
  };
  if (document.errors.length > 0) {
    const first = document.errors[0];
    throw new KeyConfigError(`${where(first.pos[0])}: invalid YAML in the key file: ${first.message.split('\n')[0]}`);
  }
  const content: unknown = document.toJS();
  const schemaError = Value.Errors(keyFileSchema, content).First();
  if (schemaError) {
    const segments = schemaError.path.split('/').filter(Boolean);
    // Never echo the value: in a key file it may well be a key.
    throw new KeyConfigError(`${where(offsetOf(document, segments))}: ${segments.join('.') || '(root)'}: ${schemaError.message.toLowerCase()}`);
  }
  const entries = (content as KeyFile).keys;
  if (entries.length === 0) {
    // An empty file must not silently switch authentication off.
    throw new KeyConfigError(`${path}: the key file lists no keys (remove auth.key_file to run without authentication)`);
  }
  return entries.map((entry, index) => configuredKey(entry, `${where(offsetOf(document, ['keys', String(index)]))}: keys.${index}`));
}

function offsetOf(document: ReturnType<typeof parseDocument>, segments: string[]): number | undefined {
  // A missing field is reported at the nearest node that exists.
  for (let length = segments.length; length >= 0; length--) {
    const path = segments.slice(0, length).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    const node = (length === 0 ? document.contents : document.getIn(path, true)) as { range?: [number] } | null | undefined;
    if (node && typeof node === 'object' && node.range) return node.range[0];
  }
  return undefined;
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
