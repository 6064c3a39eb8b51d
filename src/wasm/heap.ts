// The heap allocator over the module's linear memory. Lives in TypeScript so that worker
// instances over a shared memory never disagree about who owns which bytes.
//
// Every block is 16-byte aligned and followed by at least PAD bytes that nobody owns: kernels
// may read one v128 past the end of an array, never write there. The padding is filled with a
// canary pattern so tests can prove that no kernel wrote outside its output.

const ALIGN = 16;
const PAD = 16;
const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB
const CANARY = 0xa5;

interface FreeBlock { ptr: number; size: number }

export class Heap {
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private free: FreeBlock[] = []; // sorted by address, coalesced
  private readonly sizes = new Map<number, number>(); // ptr → block size (with padding)
  private requested = new Map<number, number>(); // ptr → bytes the caller asked for
  private used = 0;
  private u8: Uint8Array | null = null;
  private f32: Float32Array | null = null;
  private i32: Int32Array | null = null;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.base = alignUp(heapBase, ALIGN) + ALIGN;
    this.top = this.base;
  }

  /** Bytes handed out to live allocations (as requested, without alignment and padding). */
  get bytesInUse(): number { return this.used; }
  /** Bytes of linear memory the module has reserved. */
  get bytesReserved(): number { return this.memory.buffer.byteLength; }
  /** Number of live allocations. */
  get liveBlocks(): number { return this.sizes.size; }

  /** Allocates `bytes` (≥ 0) and returns a 16-byte aligned byte address. Contents undefined. */
  alloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`simdnet heap: cannot allocate ${bytes} bytes (need a non-negative integer)`);
    }
    const size = alignUp(Math.max(bytes, 1), ALIGN) + PAD;
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else { b.ptr += size; b.size -= size; }
        break;
      }
    }
    if (ptr < 0) {
      const end = this.top + size;
      this.ensure(end, bytes);
      ptr = this.top;
      this.top = end;
    }
    this.sizes.set(ptr, size);
    this.requested.set(ptr, bytes);
    this.used += bytes;
    this.u8view().fill(CANARY, ptr + bytes, ptr + size);
    return ptr;
  }

  /** Returns a block to the heap. Freeing an address that is not live throws. */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`simdnet heap: address ${ptr} is not a live allocation`);
    this.sizes.delete(ptr);
    this.used -= this.requested.get(ptr)!;
    this.requested.delete(ptr);
    this.insertFree(ptr, size);
  }

  /** Size in bytes the caller asked for at `ptr`, or undefined when it is not live. */
  sizeOf(ptr: number): number | undefined { return this.requested.get(ptr); }

  /** Checks the canary bytes after every live block; returns the first damaged address or -1. */
  checkCanaries(): number {
    const u8 = this.u8view();
    for (const [ptr, size] of this.sizes) {
      for (let i = ptr + this.requested.get(ptr)!; i < ptr + size; i++) if (u8[i] !== CANARY) return ptr;
    }
    return -1;
  }

  /** A Uint8Array over the whole memory, re-created after growth. Never keep it across an alloc. */
  u8view(): Uint8Array {
    const buf = this.memory.buffer;
    if (this.u8 === null || this.u8.buffer !== buf) this.u8 = new Uint8Array(buf);
    return this.u8;
  }

  /** A Float32Array over the whole memory, re-created after growth. Never keep it across an alloc. */
  f32view(): Float32Array {
    const buf = this.memory.buffer;
    if (this.f32 === null || this.f32.buffer !== buf) this.f32 = new Float32Array(buf);
    return this.f32;
  }

  /** An Int32Array over the whole memory (parameter blocks, indices). Never keep it across an alloc. */
  i32view(): Int32Array {
    const buf = this.memory.buffer;
    if (this.i32 === null || this.i32.buffer !== buf) this.i32 = new Int32Array(buf);
    return this.i32;
  }

  private insertFree(ptr: number, size: number): void {
    const f = this.free;
    let lo = 0, hi = f.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (f[mid].ptr < ptr) lo = mid + 1; else hi = mid; }
    f.splice(lo, 0, { ptr, size });
    // coalesce with the next, then the previous block
    if (lo + 1 < f.length && f[lo].ptr + f[lo].size === f[lo + 1].ptr) {
      f[lo].size += f[lo + 1].size; f.splice(lo + 1, 1);
    }
    if (lo > 0 && f[lo - 1].ptr + f[lo - 1].size === f[lo].ptr) {
      f[lo - 1].size += f[lo].size; f.splice(lo, 1); lo--;
    }
    // a free block at the top gives its bytes back to the bump region
    if (lo === f.length - 1 && f[lo].ptr + f[lo].size === this.top) {
      this.top = f[lo].ptr; f.pop();
    }
  }

  private ensure(end: number, bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil((end - have) / PAGE);
    const havePages = have / PAGE;
    // grow by at least a quarter of what we have, so a sequence of allocations grows rarely
    let pages = Math.max(needPages, Math.min(Math.ceil(havePages / 4), MAX_PAGES - havePages));
    if (havePages + needPages > MAX_PAGES) throw outOfMemory(bytes, have, this.used);
    try {
      this.memory.grow(pages);
    } catch {
      pages = needPages;
      try { this.memory.grow(pages); } catch { throw outOfMemory(bytes, have, this.used); }
    }
    this.u8 = null;
    this.f32 = null;
    this.i32 = null;
  }
}

function outOfMemory(bytes: number, have: number, used: number): RangeError {
  const mib = (n: number) => (n / 1048576).toFixed(1);
  return new RangeError(
    `simdnet: out of memory: cannot allocate ${bytes} bytes (${mib(bytes)} MiB); ` +
      `${mib(used)} MiB in use, ${mib(have)} MiB reserved, wasm32 limit 4096 MiB. Dispose tensors you no longer need.`,
  );
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
