import type { Server } from 'node:http';
/** Serves the repository on 127.0.0.1 (examples, dist, models, bench pages). */
export function serve(options?: { port?: number; isolated?: boolean; start?: string }): Promise<Server>;
