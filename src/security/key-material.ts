/** Making and hashing gateway keys. Only hashes are kept in memory after start, never the keys themselves. */
import { createHash } from 'node:crypto';

/** Shorter keys can be guessed; the loader and `lessllm key hash` refuse them. */
export const minimumKeyLength = 16;

/** SHA-256 of the key's UTF-8 bytes, lowercase hex: the form `key_sha256` holds. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The same digest as raw bytes, for constant-time comparison (always 32 bytes, whatever the key's length). */
export function keyDigest(key: string): Uint8Array {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A fresh key: `lk-` and 32 random bytes in base64url (256 bits, nothing to guess). */
export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `lk-${btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')}`;
}

export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}
