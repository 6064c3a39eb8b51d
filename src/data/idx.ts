// The IDX format of MNIST and Fashion-MNIST (big-endian header: 0, 0, type, rank; dims; data),
// gzipped or not. Every size is checked against the bytes before anything is allocated.

export interface IdxArray {
  /** 0x08 unsigned byte, 0x09 signed byte, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64. */
  type: number;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [string, number]> = {
  0x08: ['u8', 1], 0x09: ['i8', 1], 0x0b: ['i16', 2], 0x0c: ['i32', 4], 0x0d: ['f32', 4], 0x0e: ['f64', 8],
};

export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxError';
  }
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Gunzips with the platform's DecompressionStream (Node 18+, Deno, browsers, workerd). */
export async function gunzip(b: Uint8Array, what = 'file'): Promise<Uint8Array> {
  try {
    const stream = new Blob([b as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new IdxError(`${what}: the gzip data is truncated or corrupt (${(e as Error).message})`);
  }
}

/** Parses IDX bytes (already gunzipped). */
export function parseIdx(bytes: Uint8Array, what = 'IDX file'): IdxArray {
  if (bytes.length < 4) throw new IdxError(`${what}: truncated: ${bytes.length} bytes, shorter than the 4-byte magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new IdxError(`${what}: not an IDX file (magic bytes ${bytes[0]}, ${bytes[1]} instead of 0, 0)`);
  const type = bytes[2], rank = bytes[3];
  const t = TYPES[type];
  if (!t) throw new IdxError(`${what}: unknown IDX element type 0x${type.toString(16)}`);
  if (rank < 1 || rank > 8) throw new IdxError(`${what}: rank ${rank} is not supported (1 … 8)`);
  const head = 4 + 4 * rank;
  if (bytes.length < head) throw new IdxError(`${what}: truncated: the header needs ${head} bytes, the file has ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const need = head + count * t[1];
  if (bytes.length < need) {
    throw new IdxError(`${what}: truncated: shape [${shape.join(', ')}] of ${t[0]} needs ${need} bytes, the file has ${bytes.length}`);
  }
  if (bytes.length > need) throw new IdxError(`${what}: ${bytes.length - need} unexpected bytes after the data (corrupt header?)`);
  let data: IdxArray['data'];
  if (type === 0x08) data = bytes.slice(head, need);
  else if (type === 0x09) data = new Int8Array(bytes.slice(head, need).buffer);
  else {
    const arr = type === 0x0b ? new Int16Array(count) : type === 0x0c ? new Int32Array(count) : type === 0x0d ? new Float32Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const o = head + i * t[1];
      arr[i] = type === 0x0b ? dv.getInt16(o, false) : type === 0x0c ? dv.getInt32(o, false) : type === 0x0d ? dv.getFloat32(o, false) : dv.getFloat64(o, false);
    }
    data = arr;
  }
  return { type, shape, data };
}

/** Reads IDX bytes, gunzipping first when they are gzipped. */
export async function readIdx(bytes: Uint8Array, what = 'IDX file'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, what) : bytes, what);
}
