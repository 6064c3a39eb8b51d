// The one tiny program every runtime runs against the installed package: the "before init"
// error, a wrong source's error, init() from the runtime's default source, then a LeNet-5
// forward pass with fixed weights on a fixed input, compared with the float64 reference output
// that the test harness wrote into ./expected.mjs. Plain JavaScript, no imports but these files.
import expected from './expected.mjs';
import { PARAMS, paramValues, inputValues } from './smoke-data.mjs';

async function expectRejection(sd, what, source, needle) {
  try {
    await sd.init({ wasm: source });
    return { what, ok: false, message: 'init() resolved' };
  } catch (e) {
    const message = String(e && e.message);
    return { what, ok: message.includes(needle), message };
  }
}

/**
 * Runs the program with the package's namespace `sd`. `badSources` are runtime-specific wrong
 * sources ({ what, source, needle }) tried before the default init; returns a plain result object.
 */
export async function runLenet(sd, { runtime, badSources = [] }) {
  const checks = [];
  try {
    sd.Tensor.zeros([1]);
    checks.push({ what: 'a tensor before init()', ok: false, message: 'no error' });
  } catch (e) {
    checks.push({ what: 'a tensor before init()', ok: /not initialised: call `await init\(\)`/.test(e.message), message: e.message });
  }
  const html = new TextEncoder().encode('<!DOCTYPE html><html><body>404 Not Found</body></html>');
  checks.push(await expectRejection(sd, 'an HTML page as the wasm', html, `received ${html.length} bytes of an HTML/XML document`));
  for (const b of badSources) checks.push(await expectRejection(sd, b.what, b.source, b.needle));

  const t0 = Date.now();
  const info = await sd.init();
  const initMs = Date.now() - t0;

  const net = sd.models.lenet5();
  const names = net.namedParams().map((p) => p.name);
  const want = PARAMS.map((p) => p[0]);
  checks.push({ what: 'LeNet-5 parameter names', ok: names.join() === want.join(), message: names.join(', ') });
  for (const { name, param } of net.namedParams()) param.assign(paramValues(name, param.shape));
  const x = sd.Tensor.from(inputValues(), [1, 1, 32, 32]);
  const y = net.predict(x);
  const output = Array.from(y.toFloat32Array());
  x.dispose();
  y.dispose();
  net.dispose();

  let maxErr = 0;
  let close = output.length === expected.output.length;
  output.forEach((a, i) => {
    const b = expected.output[i];
    const err = Math.abs(a - b);
    maxErr = Math.max(maxErr, err);
    if (!(err <= 1e-5 + 1e-4 * Math.abs(b))) close = false; // the house tolerance
  });
  checks.push({ what: 'LeNet-5 output matches the float64 reference', ok: close, message: `max |error| ${maxErr.toExponential(2)}` });
  return {
    runtime,
    ok: checks.every((c) => c.ok),
    checks,
    build: info.build,
    wasmBytes: info.wasmBytes,
    initMs,
    output,
    maxErr,
  };
}
