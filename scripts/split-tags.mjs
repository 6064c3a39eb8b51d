// The `@split` tags of the kernel sources: how src/threads/split.ts may cut a kernel's call across
// threads, with every argument named, never numbered. scripts/gen-abi.mjs turns each tag into
// argument indices (SPLIT_SPECS in src/wasm/split-specs.ts), so a kernel whose parameters are reordered
// keeps splitting correctly after the next build; a tag naming a parameter the kernel does not
// have, an unknown kind or key, or a missing role stops the build. Grammar (docs/kernels.md):
//
//   @split <kind> <key>=<value> …          one line of the kernel's doc comment
//
// Values: a parameter name; `ptr*f*…` (moves: the pointer advances by the product of the factors,
// in floats, per unit cut off; no factor: 1); a cost `f*f*…`, single-thread ns per unit; a number.
// A factor is a parameter name, `ptr[i]` (i32 slot i of the block at ptr) or a number.

/** Each kind's keys: 'arg' (a parameter), 'arg?' (optional), 'moves', 'cost', 'num' (a number). */
export const SPLIT_KINDS = {
  // Cut a count of units (elements, rows, columns): each part gets its own count, its pointers moved.
  rows: { count: 'arg', move: 'moves', align: 'num', grain: 'num', cost: 'cost' },
  // Cut an output range [start, end) (planes, channels, columns, elements).
  range: { start: 'arg', end: 'arg', align: 'num', cost: 'cost' },
  // C (m × n) of a GEMM cut into whole 8-column panels or row blocks. A: row i at a + aRow·i, or
  // rows in 8-row panels aPanel floats apart; B: 8-column panels bPanel floats apart; C: element
  // (i, j) at c + cRow·i + j (row-major) or c + i + cCol·j (stored transposed).
  gemm: {
    m: 'arg', n: 'arg', k: 'arg', a: 'arg', aRow: 'arg?', aPanel: 'arg?', b: 'arg', bPanel: 'arg',
    c: 'arg', cRow: 'arg?', cCol: 'arg?', bias: 'arg?',
  },
  // Kinds read from a convolution's parameter block (their splitters in split.ts know its slots).
  conv2d_direct: { x: 'arg', w: 'arg', bias: 'arg', y: 'arg', params: 'arg' },
  im2col: { x: 'arg', col: 'arg', ldCol: 'arg', params: 'arg', start: 'arg', end: 'arg' },
  col2im: { col: 'arg', x: 'arg', params: 'arg', start: 'arg', end: 'arg' },
  filter_s1: { dy: 'arg', dw: 'arg', params: 'arg' },
  filter_ct: { dy: 'arg', dw: 'arg', params: 'arg' },
};

/** Keys of which exactly one must be given. */
const ONE_OF = { gemm: [['aRow', 'aPanel'], ['cRow', 'cCol']] };
/** Numbers left out: align 1, grain = align (a part holds at least `grain` units). */
const DEFAULTS = { align: 1 };

/**
 * The spec of one kernel's tag: { kind, role: index, … }. params: the kernel's parameter names in
 * order. Throws (naming the kernel) on anything it cannot place.
 */
export function parseSplitTag(kernel, params, tag) {
  const fail = (msg) => { throw new Error(`gen-abi: @split of ${kernel}: ${msg} (tag: "${tag}")`); };
  const [kind, ...pairs] = tag.trim().split(/\s+/);
  const schema = SPLIT_KINDS[kind];
  if (!schema) fail(`unknown kind '${kind}' (kinds: ${Object.keys(SPLIT_KINDS).join(', ')})`);
  const arg = (name) => {
    const i = params.indexOf(name);
    if (i < 0) fail(`'${name}' is not a parameter (parameters: ${params.join(', ')})`);
    return i;
  };
  const num = (s, key) => {
    if (!/^\d+(\.\d+)?$/.test(s)) fail(`${key}: '${s}' is not a number`);
    return Number(s);
  };
  const factor = (f, key) => {
    if (/^[\d.]+$/.test(f)) return num(f, key);
    const m = f.match(/^(\w+)\[(\d+)\]$/);
    return m ? { arg: arg(m[1]), slot: Number(m[2]) } : { arg: arg(f) };
  };
  const spec = { kind };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) fail(`'${pair}' is not key=value`);
    const key = pair.slice(0, eq), value = pair.slice(eq + 1);
    const type = schema[key];
    if (!type) fail(`unknown key '${key}' for kind ${kind} (keys: ${Object.keys(schema).join(', ')})`);
    if (key in spec) fail(`'${key}' given twice`);
    if (type.startsWith('arg')) spec[key] = arg(value);
    else if (type === 'num') spec[key] = num(value, key);
    else if (type === 'cost') spec[key] = value.split('*').map((f) => factor(f, key));
    else spec[key] = value.split(',').map((m) => {
      const [ptr, ...by] = m.split('*');
      return { arg: arg(ptr), by: by.map((f) => factor(f, key)) };
    });
  }
  for (const [key, type] of Object.entries(schema)) {
    if (key in spec || type === 'arg?') continue;
    if (type === 'num') spec[key] = key === 'grain' ? spec.align ?? DEFAULTS.align : DEFAULTS[key];
    else fail(`'${key}' is missing`);
  }
  for (const group of ONE_OF[kind] ?? []) {
    if (group.filter((k) => k in spec).length !== 1) fail(`give exactly one of ${group.join(', ')}`);
  }
  return spec;
}

/** A spec as TypeScript source: `{ kind: 'rows', count: 2, … }`. */
export function specSource(v) {
  if (Array.isArray(v)) return `[${v.map(specSource).join(', ')}]`;
  if (typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${specSource(x)}`).join(', ')} }`;
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** The `@split` tag in the comment block right above position `at` of src, or null. */
export function tagAbove(src, at) {
  const lines = src.slice(0, at).split('\n');
  lines.pop(); // the text before `export` on its own line
  const tags = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i].trim();
    if (!/^(\/\/|\/\*|\*)/.test(l)) break;
    const m = l.match(/^(?:\/\/|\*)\s*@split\s+(.*)$/);
    if (m) tags.push(m[1]);
  }
  if (tags.length > 1) throw new Error(`gen-abi: more than one @split tag above the function at offset ${at}`);
  return tags[0] ?? null;
}

/** TypeScript declarations of the specs, one variant per kind. */
export function splitTypes() {
  const tsOf = (type) => ({ 'arg': 'number', 'arg?': 'number', num: 'number', cost: 'readonly SplitFactor[]', moves: 'readonly SplitMove[]' })[type];
  const variants = Object.entries(SPLIT_KINDS).map(([kind, schema]) => {
    const fields = Object.entries(schema).map(([k, t]) => `${k}${t === 'arg?' ? '?' : ''}: ${tsOf(t)}`);
    return `  | { readonly kind: '${kind}'; ${fields.map((f) => `readonly ${f};`).join(' ')} }`;
  });
  return [
    '/** A factor of a size or cost: a number, argument `arg`, or i32 slot `slot` of the block at argument `arg`. */',
    'export type SplitFactor = number | { readonly arg: number; readonly slot?: number };',
    '/** A pointer argument that advances by the product of `by` floats per unit cut off. */',
    'export interface SplitMove { readonly arg: number; readonly by: readonly SplitFactor[] }',
    '/** How a kernel may be cut across threads (scripts/split-tags.mjs): argument indices by role. */',
    'export type SplitSpec =',
    ...variants.slice(0, -1),
    `${variants[variants.length - 1]};`,
  ].join('\n');
}
