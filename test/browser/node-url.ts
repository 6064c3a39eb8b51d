// node:url for the browser run of the test suite: test files are served over HTTP, so a
// "file path" is the URL itself, which the node:fs shim fetches.
export function fileURLToPath(url: string | URL): string {
  return String(url);
}

export function pathToFileURL(path: string): URL {
  return new URL(path, location.href);
}

export default { fileURLToPath, pathToFileURL };
