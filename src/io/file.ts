// File helpers for runtimes with a file system (Node, Deno with node: compatibility).
import type { Graph } from '../graph/graph.js';
import { save, load } from './native.js';

/** Writes the model to a file (Node / Deno). */
export async function saveFile(model: Graph, path: string, options: { metadata?: Record<string, unknown> } = {}): Promise<number> {
  const fs = await import('node:fs/promises');
  const bytes = save(model, options);
  await fs.writeFile(path, bytes);
  return bytes.length;
}

/** Reads a model from a file (Node / Deno). */
export async function loadFile(path: string): Promise<Graph> {
  const fs = await import('node:fs/promises');
  return load(new Uint8Array(await fs.readFile(path)));
}
