#!/usr/bin/python3
"""The YOLO-style detector fixtures of test/detector.test.ts (test/fixtures/detector/), made with real
tools (Debian's python3-torch 1.13 and python3-onnx 1.12; run with /usr/bin/python3). Not run at
test time; the outputs are committed.

A small anchor-free detector in the shape of YOLOv8 (random weights, every BatchNorm given
non-trivial running statistics by make-op-fixtures.py's export()):
- backbone: Conv+BN+SiLU blocks (stride-2 3x3 downsampling), C2f blocks (a 1x1 conv split into two
  halves with torch.chunk or torch.split, bottlenecks with residual adds on the last half, all
  concatenated, a 1x1 conv), SPPF (a 1x1 conv, three chained 5x5 stride-1 max pools with padding
  2, the four concatenated, a 1x1 conv);
- neck (FPN + PAN): nearest 2x upsampling concatenated with the level below, C2f, stride-2 convs
  back down concatenated with the level above;
- decoupled head per level (strides 8, 16, 32): a box branch to 4 x 16 distance bins and a class
  branch to 5 classes, concatenated, flattened to [N, 69, H*W] and concatenated over the levels;
  DFL: the bins reshaped to [N, 4, 16, A], transposed, soft-maxed over the 16 bins and reduced to
  their expectation by a 1x1 conv with fixed arange(16) weights (the 160x160 model) or by a MatMul
  with arange(16) as a [16, 1] matrix (the 128x192 model); box decoding against constant anchor
  points and strides (chunk, Sub, Add, Div, Mul, Concat) as xywh; sigmoid class scores;
- output [N, 4 + 5, A]: rows 0-3 the boxes (centre x, centre y, width, height in input pixels),
  rows 4-8 the class scores.

Two input sizes, each its own anchors: yolo_160x160 (A = 400 + 100 + 25 = 525) and yolo_128x192
(non-square, A = 384 + 96 + 24 = 504), each exported at opsets 11, 13 and 17 with PyTorch's
float32 and float64 outputs (the format of make-op-fixtures.py, which writes them), except that
the input is not stored: it is a pseudo-random byte image every language computes exactly,
x[i] = ((i * 1103515245 + 12345) mod 2^31 mod 256) / 255 over the flat index i, rounded to float32
(the JSON's input.lcg says so), which keeps each JSON small.
"""
import importlib.util
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_op_fixtures', os.path.join(HERE, 'make-op-fixtures.py'))
ops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ops)
ops.OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'detector')

NC, REG_MAX, STRIDES = 5, 16, (8, 16, 32)


class Conv(nn.Module):
    """Conv (no bias) + BatchNorm + SiLU, 'same' padding."""
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1, self.cv2 = Conv(c, c, 3), Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """YOLOv8's C2f: cv1 to 2c channels, split in halves (chunk, or split when use_split), n
    bottlenecks chained on the last half, every part concatenated, cv2."""
    def __init__(self, c1, c2, n=1, shortcut=False, use_split=False):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))
        self.use_split = use_split

    def forward(self, x):
        y = self.cv1(x)
        y = list(y.split((self.c, self.c), 1) if self.use_split else y.chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1, self.cv2 = Conv(c1, c_, 1), Conv(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


def make_anchors(h, w):
    """Anchor points (cell centres, in feature-map cells) [2, A] and strides [1, A] of the three levels."""
    points, strides = [], []
    for s in STRIDES:
        fh, fw = h // s, w // s
        sy, sx = torch.meshgrid(torch.arange(fh, dtype=torch.float32) + 0.5, torch.arange(fw, dtype=torch.float32) + 0.5, indexing='ij')
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        strides.append(torch.full((fh * fw, 1), float(s)))
    return torch.cat(points).transpose(0, 1).contiguous(), torch.cat(strides).transpose(0, 1).contiguous()


class Detect(nn.Module):
    def __init__(self, ch, h, w, dfl_matmul):
        super().__init__()
        self.no = NC + 4 * REG_MAX
        c2, c3 = 12, 8
        self.cv2 = nn.ModuleList(nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * REG_MAX, 1)) for x in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, NC, 1)) for x in ch)
        with torch.no_grad():  # class logits spread over a few units, so the scores span (0, 1)
            for s in self.cv3:
                s[2].weight.mul_(8)
                s[2].bias.uniform_(-1, 1)
        self.dfl = nn.Conv2d(REG_MAX, 1, 1, bias=False).requires_grad_(False)
        self.dfl.weight.data[:] = torch.arange(REG_MAX, dtype=torch.float32).view(1, REG_MAX, 1, 1)
        self.register_buffer('proj', torch.arange(REG_MAX, dtype=torch.float32).view(REG_MAX, 1))
        anchors, strides = make_anchors(h, w)
        self.register_buffer('anchors', anchors)
        self.register_buffer('strides', strides)
        self.dfl_matmul = dfl_matmul

    def distribution(self, box):
        b, _, a = box.shape
        if self.dfl_matmul:
            # softmax over the bins in the last axis, expectation by a [16, 1] matrix
            p = box.view(b, 4, REG_MAX, a).transpose(2, 3).softmax(3)
            return (p @ self.proj).view(b, 4, a)
        return self.dfl(box.view(b, 4, REG_MAX, a).transpose(2, 1).softmax(1)).view(b, 4, a)

    def forward(self, xs):
        shape = xs[0].shape
        x = [torch.cat((self.cv2[i](xi), self.cv3[i](xi)), 1) for i, xi in enumerate(xs)]
        x_cat = torch.cat([xi.view(shape[0], self.no, -1) for xi in x], 2)
        box, cls = x_cat.split((REG_MAX * 4, NC), 1)
        lt, rb = self.distribution(box).chunk(2, 1)
        a = self.anchors.unsqueeze(0)
        x1y1, x2y2 = a - lt, a + rb
        dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.strides
        return torch.cat((dbox, cls.sigmoid()), 1)


class TinyYolo(nn.Module):
    def __init__(self, h, w, dfl_matmul=False):
        super().__init__()
        self.stem = Conv(3, 8, 3, 2)
        self.b1 = nn.Sequential(Conv(8, 8, 3, 2), C2f(8, 8, 1, True))
        self.b2 = nn.Sequential(Conv(8, 16, 3, 2), C2f(16, 16, 2, True, use_split=True))      # P3, stride 8
        self.b3 = nn.Sequential(Conv(16, 24, 3, 2), C2f(24, 24, 1, True))                     # P4, stride 16
        self.b4 = nn.Sequential(Conv(24, 24, 3, 2), C2f(24, 24, 1, True), SPPF(24, 24))       # P5, stride 32
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.n4 = C2f(24 + 24, 24)
        self.n3 = C2f(24 + 16, 16, use_split=True)
        self.d3 = Conv(16, 16, 3, 2)
        self.m4 = C2f(16 + 24, 24)
        self.d4 = Conv(24, 24, 3, 2)
        self.m5 = C2f(24 + 24, 24)
        self.detect = Detect((16, 24, 24), h, w, dfl_matmul)

    def forward(self, x):
        p3 = self.b2(self.b1(self.stem(x)))
        p4 = self.b3(p3)
        p5 = self.b4(p4)
        n4 = self.n4(torch.cat((self.up(p5), p4), 1))
        o3 = self.n3(torch.cat((self.up(n4), p3), 1))
        o4 = self.m4(torch.cat((self.d3(o3), n4), 1))
        o5 = self.m5(torch.cat((self.d4(o4), p5), 1))
        return self.detect([o3, o4, o5])


LCG = 'x[i] = ((i * 1103515245 + 12345) mod 2^31 mod 256) / 255, i the flat index, rounded to float32'


def lcg_image(shape):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 1103515245 + 12345) % 2 ** 31 % 256).double() / 255).float().view(*shape)


if __name__ == '__main__':
    os.makedirs(ops.OUT, exist_ok=True)
    for i, (h, w, matmul) in enumerate([(160, 160, False), (128, 192, True)]):
        torch.manual_seed(500 + i)
        m = TinyYolo(h, w, matmul)
        x = lcg_image((1, 3, h, w))
        n = sum(p.numel() for p in m.parameters())
        note = (f'YOLO-style detector {h}x{w}: Conv+BN+SiLU, C2f (chunk/split), SPPF, nearest 2x FPN/PAN neck, '
                f'decoupled head, DFL by {"MatMul" if matmul else "1x1 conv"}, anchor/stride box decoding, sigmoid scores; {n} parameters')
        ops.export(f'yolo_{h}x{w}', m, x, note, seed=510 + i)
        path = os.path.join(ops.OUT, f'yolo_{h}x{w}.json')
        with open(path) as f:
            doc = json.load(f)
        del doc['input']['data']
        doc['input']['lcg'] = LCG
        with open(path, 'w') as f:
            json.dump(doc, f, indent=1)
            f.write('\n')
        with torch.no_grad():
            y = m.eval()(x)
        print(f'{h}x{w}: {n} parameters, boxes in [{y[:, :4].min():.2f}, {y[:, :4].max():.2f}], '
              f'scores in [{y[:, 4:].min():.4f}, {y[:, 4:].max():.4f}] (mean {y[:, 4:].mean():.3f})', file=sys.stderr)
    files = [os.path.join(ops.OUT, f) for f in os.listdir(ops.OUT)]
    print(f'wrote {len(files)} files, {sum(map(os.path.getsize, files))} bytes', file=sys.stderr)
