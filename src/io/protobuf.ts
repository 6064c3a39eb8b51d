// A small protobuf reader and writer of our own (no dependency), enough for ONNX files.
//
// The wire format: a message is a list of fields, each a varint key (fieldNumber << 3 | wireType)
// followed by its value. Wire type 0 = varint (int32/int64/enum/bool; negative int64 as 10-byte
// two's complement), 1 = 64-bit little-endian, 2 = length-delimited (strings, bytes, embedded
// messages, packed repeated scalars), 5 = 32-bit little-endian (float). Types 3/4 (groups) are
// obsolete and refused.
//
// The reader never trusts a declared length: every length is checked against the bytes that
// remain in the enclosing message before anything is sliced, and slices are views (no copies),
// so a forged length cannot make it allocate.

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Enc = new TextEncoder();

/** Reads one message (or a packed run) between pos and end of a byte array. */
export class Reader {
  pos: number;
  readonly end: number;
  /** Wire type of the field whose key was read last. */
  wire = 0;
  private readonly dv: DataView;

  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) throw new ProtobufError(`bad range ${start}…${end} of ${buf.length} bytes`);
    this.pos = start;
    this.end = end;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field number (its wire type in `wire`). */
  key(): number {
    const at = this.pos;
    const k = this.varint();
    const field = Math.floor(k / 8);
    this.wire = k % 8;
    if (field < 1 || field > 536870911) throw new ProtobufError(`field number ${field} at byte ${at} is invalid`);
    if (this.wire !== 0 && this.wire !== 1 && this.wire !== 2 && this.wire !== 5) {
      throw new ProtobufError(`field ${field} at byte ${at} has wire type ${this.wire}, which is not used by this format`);
    }
    return field;
  }

  /** Low and high 32 bits of the next varint. */
  private varint64(): [number, number] {
    let lo = 0, hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++];
      const v = b & 0x7f;
      if (i < 4) lo |= v << (7 * i);
      else if (i === 4) {
        lo |= (v & 0x0f) << 28;
        hi |= v >>> 4;
      } else hi |= v << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** An unsigned varint as a number (exact below 2^53; above that it is refused). */
  varint(): number {
    const [lo, hi] = this.varint64();
    const v = hi * 4294967296 + lo;
    if (!Number.isSafeInteger(v)) throw new ProtobufError(`varint ${v} at byte ${this.pos} is too large`);
    return v;
  }

  /**
   * A signed int64 (two's complement) as a number. Values beyond ±2^53 (INT64_MAX as "to the end"
   * in some operators) are clamped to ±2^53, which every size check refuses.
   */
  int64(): number {
    const [lo, hi] = this.varint64();
    const v = (hi | 0) * 4294967296 + lo;
    return Number.isSafeInteger(v) ? v : Math.sign(v) * 2 ** 53;
  }

  /** int32 / enum fields: the low 32 bits, signed. */
  int32(): number {
    return this.varint64()[0] | 0;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) throw new ProtobufError(`truncated: ${n} bytes needed at byte ${this.pos}, ${this.end - this.pos} left`);
  }

  float(): number {
    this.need(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes: a view, checked against what remains. */
  bytes(): Uint8Array {
    const at = this.pos;
    const n = this.varint();
    if (n > this.end - this.pos) {
      throw new ProtobufError(`a field at byte ${at} declares ${n} bytes but only ${this.end - this.pos} remain`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const b = this.bytes();
    try {
      return utf8.decode(b);
    } catch {
      throw new ProtobufError(`a string field ending at byte ${this.pos} is not valid UTF-8`);
    }
  }

  /** A reader over the embedded message (length-delimited field) that comes next. */
  message(): Reader {
    const b = this.bytes();
    return new Reader(this.buf, b.byteOffset - this.buf.byteOffset, b.byteOffset - this.buf.byteOffset + b.length);
  }

  /** Skips the value of a field of the last key's wire type. */
  skip(): void {
    switch (this.wire) {
      case WIRE_VARINT: this.varint64(); break;
      case WIRE_I64: this.need(8); this.pos += 8; break;
      case WIRE_LEN: this.bytes(); break;
      case WIRE_I32: this.need(4); this.pos += 4; break;
      default: throw new ProtobufError(`cannot skip wire type ${this.wire}`);
    }
  }

  /** Checks that the field just keyed has the expected wire type. */
  expect(wire: number, what: string): void {
    if (this.wire !== wire) throw new ProtobufError(`${what} has wire type ${this.wire}, expected ${wire}`);
  }

  /** A repeated int64 field, packed (wire 2) or one element (wire 0), appended to out. */
  repeatedInt64(out: number[], what: string): void {
    if (this.wire === WIRE_VARINT) out.push(this.int64());
    else if (this.wire === WIRE_LEN) {
      const r = this.message();
      while (!r.done) out.push(r.int64());
    } else throw new ProtobufError(`${what} has wire type ${this.wire}, expected a varint or a packed run`);
  }

  /**
   * A repeated float field: packed (wire 2; returns the run as a view of its bytes) or one element
   * (wire 5; pushed onto out).
   */
  repeatedFloat(out: number[], what: string): Uint8Array | null {
    if (this.wire === WIRE_I32) {
      out.push(this.float());
      return null;
    }
    if (this.wire === WIRE_LEN) {
      const b = this.bytes();
      if (b.length % 4 !== 0) throw new ProtobufError(`${what}: a packed float run of ${b.length} bytes is not a multiple of 4`);
      return b;
    }
    throw new ProtobufError(`${what} has wire type ${this.wire}, expected fixed32 or a packed run`);
  }
}

/** Builds a message; nested messages are built by a child writer and copied in with their length. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Raw varint of a non-negative safe integer, or a negative one as 64-bit two's complement. */
  private rawVarint(v: number): void {
    if (!Number.isSafeInteger(v)) throw new ProtobufError(`cannot encode ${v} as a varint`);
    let lo: number, hi: number;
    if (v >= 0) {
      lo = v % 4294967296;
      hi = Math.floor(v / 4294967296);
    } else {
      const a = -v;
      lo = a % 4294967296;
      hi = Math.floor(a / 4294967296);
      // two's complement of (hi, lo)
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    while (hi > 0 || lo >= 0x80) {
      this.byte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }

  private key(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** int32 / int64 / enum / bool field. */
  int(field: number, v: number): this {
    this.key(field, WIRE_VARINT);
    this.rawVarint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, WIRE_I32);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.rawVarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8Enc.encode(s));
  }

  /** An embedded message built by `build`. */
  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytes(field, w.finish());
  }

  /** A repeated int64 field written unpacked (onnx.proto is proto2, whose default is unpacked). */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  floats(field: number, values: readonly number[]): this {
    for (const v of values) this.float(field, v);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
