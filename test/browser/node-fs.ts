// node:fs for the browser run of the test suite: the synchronous reads that tests do at import
// time (fixtures under test/fixtures), answered by the test server through a synchronous
// XMLHttpRequest. Binary files come through the x-user-defined charset, one byte per char.
declare const __SIMDNET_ROOT__: string; // the project folder, defined by vitest.browser.config.ts

/**
 * The server's path for a file. Test files run at URLs named by their file path
 * (http://host/<project>/test/x.test.ts), other modules at /test/x.ts, so
 * `new URL('./fixtures/…', import.meta.url)` gives either; the server has the project at its
 * root: /test/fixtures/….
 */
export function served(path: string | URL): string {
  const url = new URL(String(path), location.href);
  if (url.origin !== location.origin) return url.href;
  const p = url.pathname.startsWith(`${__SIMDNET_ROOT__}/`) ? url.pathname.slice(__SIMDNET_ROOT__.length) : url.pathname;
  return p + url.search;
}

function get(path: string | URL, binary: boolean): XMLHttpRequest {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', served(path), false);
  if (binary) xhr.overrideMimeType('text/plain; charset=x-user-defined');
  xhr.send();
  if (xhr.status !== 200) throw new Error(`ENOENT: ${String(path)} answered HTTP ${xhr.status} (browser node:fs shim)`);
  return xhr;
}

export function readFileSync(path: string | URL, options?: string | { encoding?: string | null }): string | Uint8Array {
  const encoding = typeof options === 'string' ? options : options?.encoding;
  if (encoding) return get(path, false).responseText;
  const text = get(path, true).responseText;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

export function existsSync(path: string | URL): boolean {
  try {
    get(path, true);
    return true;
  } catch {
    return false;
  }
}

/** Names in a folder, from the listing endpoint that vitest.browser.config.ts adds to the server. */
export function readdirSync(path: string | URL, options?: unknown): string[] {
  if (options !== undefined) throw new Error('readdirSync options are not supported by the browser node:fs shim');
  return JSON.parse(get(`/__simdnet_readdir?path=${encodeURIComponent(served(path))}`, false).responseText) as string[];
}

/** A file's size (only `size` is given): the length of its bytes as served. */
export function statSync(path: string | URL): { size: number } {
  return { size: get(path, true).responseText.length };
}

export default { readFileSync, existsSync, readdirSync, statSync };
