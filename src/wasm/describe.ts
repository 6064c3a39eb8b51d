// How error messages name a value they did not expect (used by every room's argument checks).

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array [${v.slice(0, 6).map((e) => describe(e)).join(', ')}${v.length > 6 ? ', …' : ''}]`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object';
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return `a symbol ${String(v)}`;
  return `${typeof v} ${String(v)}`;
}
