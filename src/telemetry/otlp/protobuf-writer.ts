/**
 * Protocol Buffers wire format, only as much of it as OTLP spans need: varints, fixed64 and doubles,
 * strings and bytes, and nested messages whose length is written once they are complete.
 *
 * Strings are the bulk of a span (attribute keys, captured bodies). Short ASCII ones are copied by a
 * loop; anything else goes through `TextEncoder.encodeInto` straight into the buffer, which for a
 * 64 KiB body is far cheaper than a loop over its characters, and needs no second pass to learn the
 * byte length first: room for the longest possible length prefix is left and the text moved back when
 * its prefix turns out shorter (as the SDK's writer does for nested messages).
 */

const textEncoder = new TextEncoder();

/**
 * Strings written again and again (attribute keys, event names: a call's two spans have some 45), each
 * kept encoded with its length prefix after its first use, up to this many of them.
 */
const recurringStrings = new Map<string, Uint8Array>();
const maxRecurringStrings = 1024;

/** Up to this many UTF-16 units a string's UTF-8 form (at most 3 bytes per unit) has a 1-byte length; below 128 units, 2 bytes at most. */
const oneBytePrefixUnits = 42;

export const wireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

export class ProtobufWriter {
  bytes: Uint8Array;
  pos = 0;
  private readonly doubleBytes = new Uint8Array(8);
  private readonly doubleView = new DataView(this.doubleBytes.buffer);

  constructor(initialSize = 4096) {
    this.bytes = new Uint8Array(initialSize);
  }

  /** The bytes written so far (a view: copy it before writing on). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(room: number): void {
    const needed = this.pos + room;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
  }

  tag(field: number, type: number): void {
    this.uint32((field << 3) | type);
  }

  /** A non-negative integer below 2^32. */
  uint32(value: number): void {
    this.ensure(5);
    this.pos = this.putUint32(this.pos, value);
  }

  /** Writes a varint at `at`, in room already there; returns where it ends. */
  private putUint32(at: number, value: number): number {
    const bytes = this.bytes;
    let rest = value >>> 0;
    while (rest > 0x7f) {
      bytes[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    bytes[at++] = rest;
    return at;
  }

  /** An integer in int64's range, negative ones as two's complement (ten bytes), as protobuf's int64. */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) return this.uint32(value);
    let [low, high] = splitUint64(Math.abs(value));
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    this.ensure(10);
    while (high > 0 || low > 0x7f) {
      this.bytes[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.bytes[this.pos++] = low;
  }

  fixed32(value: number): void {
    this.ensure(4);
    const bytes = this.bytes;
    bytes[this.pos++] = value & 0xff;
    bytes[this.pos++] = (value >>> 8) & 0xff;
    bytes[this.pos++] = (value >>> 16) & 0xff;
    bytes[this.pos++] = (value >>> 24) & 0xff;
  }

  fixed64(low: number, high: number): void {
    this.fixed32(low);
    this.fixed32(high);
  }

  double(value: number): void {
    this.ensure(8);
    this.doubleView.setFloat64(0, value, true);
    this.bytes.set(this.doubleBytes, this.pos);
    this.pos += 8;
  }

  /** Bytes as they are, no prefix (a part encoded before). */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.bytes.set(value, this.pos);
    this.pos += value.length;
  }

  /** Length-prefixed bytes given as hexadecimal digits (trace and span ids). */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.uint32(length);
    this.ensure(length);
    const bytes = this.bytes;
    for (let index = 0; index < length; index++) {
      bytes[this.pos++] = (hexDigit(hex.charCodeAt(2 * index)) << 4) | hexDigit(hex.charCodeAt(2 * index + 1));
    }
  }

  bytesField(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.bytes.set(value, this.pos);
    this.pos += value.length;
  }

  /** As `string`, for a string from a small fixed set (attribute keys): copied from its encoding the first time. */
  recurringString(value: string): void {
    let encoded = recurringStrings.get(value);
    if (encoded === undefined) {
      if (recurringStrings.size >= maxRecurringStrings) return this.string(value);
      const start = this.pos;
      this.string(value);
      recurringStrings.set(value, this.bytes.slice(start, this.pos));
      return;
    }
    const length = encoded.length;
    this.ensure(length);
    // Keys are short: a loop copies them faster than a native call would.
    const bytes = this.bytes;
    let at = this.pos;
    for (let index = 0; index < length; index++) bytes[at++] = encoded[index]!;
    this.pos = at;
  }

  /** Length-prefixed UTF-8, lone surrogates as U+FFFD (TextEncoder's rule, and the SDK's). */
  string(value: string): void {
    const units = value.length;
    if (units < 0x80) {
      // Most strings are short and ASCII (keys, names, ids): a loop beats a native call for them.
      this.ensure(2 + 3 * units);
      const bytes = this.bytes;
      const start = this.pos;
      let at = start + 1;
      for (let index = 0; index < units; index++) {
        const unit = value.charCodeAt(index);
        if (unit > 0x7f) return this.encodedString(value, start, units <= oneBytePrefixUnits ? 1 : 2);
        bytes[at++] = unit;
      }
      bytes[start] = units;
      this.pos = at;
      return;
    }
    this.ensure(varintSize(3 * units) + 3 * units);
    this.encodedString(value, this.pos, varintSize(3 * units));
  }

  /** Encodes `value` after `reserved` bytes at `start`, then writes its length there, moving the text back if the length needs fewer. */
  private encodedString(value: string, start: number, reserved: number): void {
    const { written } = textEncoder.encodeInto(value, this.bytes.subarray(start + reserved));
    const prefix = varintSize(written);
    if (prefix < reserved) this.bytes.copyWithin(start + prefix, start + reserved, start + reserved + written);
    this.pos = this.putUint32(start, written) + written;
  }

  /**
   * Starts a nested message, keeping `reserved` bytes for its length (1 suits attributes and values,
   * 2 spans and events); returns where its content starts, for `finishMessage`.
   */
  startMessage(reserved = 1): number {
    this.ensure(reserved);
    this.pos += reserved;
    return this.pos;
  }

  /** Writes the length of the message begun at `contentStart`, moving the message if the length needs other than `reserved` bytes. */
  finishMessage(contentStart: number, reserved = 1): void {
    const length = this.pos - contentStart;
    const prefix = varintSize(length);
    const prefixStart = contentStart - reserved;
    if (prefix !== reserved) {
      this.ensure(prefix - reserved);
      this.bytes.copyWithin(prefixStart + prefix, contentStart, this.pos);
      this.pos += prefix - reserved;
    }
    this.putUint32(prefixStart, length);
  }
}

/** Bytes of `value` (below 2^32) as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** 0–15 for a hexadecimal digit (either case); what the SDK's hexToBinary makes of anything else does not arise, ids are validated. */
function hexDigit(code: number): number {
  if (code <= 0x39) return code - 0x30;
  return (code | 0x20) - 0x57;
}

/** The low and high 32 bits of a non-negative integer below 2^64. */
function splitUint64(value: number): [low: number, high: number] {
  return [value >>> 0, (value / 0x100000000) >>> 0];
}
