// The segmentation network: a small U-Net built with simdnet's GraphBuilder. Three scales down
// (3×3 convolutions + batch norm + ReLU, 2×2 max pooling), a wider bottleneck at 1/8, and three scales
// up: a transposed convolution (2×2, stride 2) at the deepest join and bilinear upsampling at the
// two others, each followed by a concatenation with the encoder's map of the same scale (the skip
// connection) and a convolution; a 1×1 convolution gives one logit per class and pixel.

/**
 * unet(sd, { classes, size, width, seed }) → a Graph from [3, size, size] to [classes, size, size].
 * `width` is the channel count at full resolution (doubled at each scale down, 8·width in the bottleneck).
 */
export function unet(sd, { classes = 5, size = 64, width = 8, seed = 1 } = {}) {
  const { nn, GraphBuilder } = sd;
  const b = new GraphBuilder({ image: [3, size, size] });
  /** conv 3×3 (padding 1, no bias) → batch norm → ReLU. */
  const block = (name, x, cin, cout) =>
    b.chain(x, [
      [`${name}_conv`, new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false })],
      [`${name}_bn`, new nn.BatchNorm2d(cout)],
      [`${name}_relu`, new nn.ReLU()],
    ]);
  // the bottleneck is where a pixel learns which shape it is part of: widest there (8×8 is cheap)
  const w1 = width, w2 = 2 * width, w3 = 4 * width, w4 = 8 * width;
  // encoder
  const e1 = block('enc1b', block('enc1a', 'image', 3, w1), w1, w1); // size
  const e2 = block('enc2b', block('enc2a', b.add('pool1', new nn.MaxPool2d(2), e1), w1, w2), w2, w2); // size/2
  const e3 = block('enc3b', block('enc3a', b.add('pool2', new nn.MaxPool2d(2), e2), w2, w3), w3, w3); // size/4
  const mid = block('midb', block('mida', b.add('pool3', new nn.MaxPool2d(2), e3), w3, w4), w4, w4); // size/8
  // decoder: learned upsampling at the deepest join, bilinear at the others
  const u3 = b.add('up3', new nn.ConvTranspose2d(w4, w3, 2, { stride: 2 }), mid);
  const d3 = block('dec3', b.add('cat3', new nn.Concat(1), [u3, e3]), 2 * w3, w2);
  const u2 = b.add('up2', new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }), d3);
  const d2 = block('dec2', b.add('cat2', new nn.Concat(1), [u2, e2]), 2 * w2, w1);
  const u1 = b.add('up1', new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }), d2);
  const d1 = block('dec1', b.add('cat1', new nn.Concat(1), [u1, e1]), 2 * w1, w1);
  const logits = b.add('logits', new nn.Conv2d(w1, classes, 1), d1);
  return b.build(logits, seed);
}
