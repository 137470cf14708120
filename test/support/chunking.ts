/**
 * Ways to cut a byte string into the pieces a server writes one by one. The test upstream uses them to
 * replay recorded streams the way a real network delivers them: whole, one SSE event per write, every N
 * bytes (N small enough to split UTF-8 code points and CRLF line ends), or at seeded random places.
 */

export type Chunking =
  | { kind: 'whole' }
  | { kind: 'events' }
  | { kind: 'bytes'; size: number }
  | { kind: 'random'; seed: number; maxSize?: number };

/** The bytes cut at the given positions (repeats and positions outside the bytes ignored), in order. */
export function cutAt(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const cuts = [...new Set(positions)].filter((cut) => cut > 0 && cut < bytes.length).sort((left, right) => left - right);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

export function splitBytes(bytes: Uint8Array, chunking: Chunking): Uint8Array[] {
  switch (chunking.kind) {
    case 'whole':
      return bytes.length === 0 ? [] : [bytes];
    case 'events':
      return splitAfterEvents(bytes);
    case 'bytes':
      return splitEvery(bytes, chunking.size);
    case 'random':
      return splitRandomly(bytes, chunking.seed, chunking.maxSize ?? 64);
    default:
      return assertNeverChunking(chunking);
  }
}

function splitEvery(bytes: Uint8Array, size: number): Uint8Array[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunk size must be a positive integer, got ${size}`);
  const pieces: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return pieces;
}

function splitRandomly(bytes: Uint8Array, seed: number, maxSize: number): Uint8Array[] {
  const random = seededRandom(seed);
  const pieces: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    const size = 1 + Math.floor(random() * maxSize);
    pieces.push(bytes.subarray(start, start + size));
    start += size;
  }
  return pieces;
}

/**
 * Cuts after each blank line (the end of an SSE event), whatever the line ends are: LF, CRLF or CR.
 * Bytes after the last blank line (an unterminated event) form a last piece of their own.
 */
export function splitAfterEvents(bytes: Uint8Array): Uint8Array[] {
  const carriageReturn = 0x0d;
  const lineFeed = 0x0a;
  const pieces: Uint8Array[] = [];
  let pieceStart = 0;
  let lineIsEmpty = true;
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index];
    if (byte === carriageReturn || byte === lineFeed) {
      const lineEndLength = byte === carriageReturn && bytes[index + 1] === lineFeed ? 2 : 1;
      index += lineEndLength;
      if (lineIsEmpty && index - lineEndLength > pieceStart) {
        pieces.push(bytes.subarray(pieceStart, index));
        pieceStart = index;
      }
      lineIsEmpty = true;
    } else {
      lineIsEmpty = false;
      index += 1;
    }
  }
  if (pieceStart < bytes.length) pieces.push(bytes.subarray(pieceStart));
  return pieces;
}

/** The first `count` SSE events of a stream, exactly as bytes: for streams cut off mid-way. */
export function firstEvents(bytes: Uint8Array, count: number): Uint8Array {
  const events = splitAfterEvents(bytes).slice(0, count);
  return concatBytes(events);
}

export function concatBytes(pieces: Uint8Array[]): Uint8Array {
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.length;
  }
  return joined;
}

/** mulberry32: a tiny deterministic generator, so a failing random chunking can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function assertNeverChunking(value: never): never {
  throw new Error(`unknown chunking: ${JSON.stringify(value)}`);
}
