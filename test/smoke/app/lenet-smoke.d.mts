// Types for the harness's imports of lenet-smoke.mjs.
export interface SmokeCheck { what: string; ok: boolean; message: string }
export interface SmokeResult {
  runtime: string;
  ok: boolean;
  checks: SmokeCheck[];
  build: string;
  wasmBytes: number | null;
  initMs: number;
  output: number[];
  maxErr: number;
  /** Added by launchers: the file the package resolved to. */
  entry?: string;
}
export function runLenet(
  sd: unknown,
  options: { runtime: string; badSources?: { what: string; source: unknown; needle: string }[] },
): Promise<SmokeResult>;
