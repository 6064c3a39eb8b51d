// Setup of the browser run: Node's Buffer for the few test fixtures decoded with it (base64
// float32 data in test/onnx-fixtures.ts), from the `buffer` package.
import { Buffer } from 'buffer';

const g = globalThis as { Buffer?: unknown };
g.Buffer ??= Buffer;
