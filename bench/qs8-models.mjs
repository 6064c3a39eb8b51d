// Models of the int8 benchmarks built in the script (qs8.mjs, qs8-browser.mjs), from the package's namespace.

/** MobileNetV2 as torchvision builds it (inverted residuals, ReLU6, 1000 classes) at 224×224. */
export function mobilenetV2({ nn, Graph }) {
  const nodes = [];
  let prev = 'x', c = 32, id = 0;
  const cbr = (cin, cout, k, s, groups, act) => {
    const n = `n${id++}`;
    nodes.push({ name: n, layer: new nn.Conv2d(cin, cout, k, { stride: s, padding: (k - 1) / 2, groups, bias: false }), inputs: prev });
    nodes.push({ name: `${n}_bn`, layer: new nn.BatchNorm2d(cout), inputs: n });
    prev = `${n}_bn`;
    if (act) nodes.push({ name: `${n}_act`, layer: new nn.ReLU6(), inputs: prev }), (prev = `${n}_act`);
  };
  cbr(3, 32, 3, 2, 1, true);
  for (const [t, co, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]) {
    for (let i = 0; i < n; i++) {
      const input = prev, st = i === 0 ? s : 1, h = c * t;
      if (t !== 1) cbr(c, h, 1, 1, 1, true);
      cbr(h, h, 3, st, h, true);
      cbr(h, co, 1, 1, 1, false);
      if (st === 1 && c === co) nodes.push({ name: `add${id}`, layer: new nn.Add(), inputs: [input, prev] }), (prev = `add${id}`);
      c = co;
    }
  }
  cbr(c, 1280, 1, 1, 1, true);
  nodes.push({ name: 'gap', layer: new nn.GlobalAvgPool2d(), inputs: prev });
  nodes.push({ name: 'flat', layer: new nn.Flatten(), inputs: 'gap' });
  nodes.push({ name: 'fc', layer: new nn.Linear(1280, 1000), inputs: 'flat' });
  return new Graph({ inputs: { x: [3, 224, 224] }, nodes, outputs: 'fc', seed: 1 });
}
