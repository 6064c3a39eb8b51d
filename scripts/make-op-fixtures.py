#!/usr/bin/python3
"""Builds the operator fixtures of test/onnx-ops.test.ts with real tools (Debian's python3-torch 1.13
and python3-onnx 1.12; run with /usr/bin/python3). Not run at test time; the outputs are committed.

These cover the operators MobileNetV2/V3, EfficientNet, RegNetY, ShuffleNetV2, MNASNet and ConvNeXt
need (Clip, HardSigmoid, HardSwish, SiLU, GELU, Mish, broadcasting Add/Sub/Mul/Div/Pow, Sqrt, Erf,
Exp, Neg, Reciprocal, Abs, ReduceMean/Sum/Max, GlobalMaxPool, LayerNormalization and its decomposed
form, Transpose, Slice, Split, Reshape from Shape nodes, MatMul over 4-D inputs). They live in
test/fixtures/onnx-ops/, apart from test/fixtures/onnx/ (whose test requires every file to import).

For each small model (fixed seeds, eval mode, every BatchNorm/LayerNorm given non-trivial running
statistics and affine parameters) it writes <name>.opset<k>.onnx made by torch.onnx.export at
opsets 11, 13 and 17 where the exporter can, and <name>.json in the format of the existing
fixtures (scripts/make-onnx-fixtures.py, whose helpers it imports) with, in addition:
  'output64': PyTorch's output of the model in float64 on the same input (base64 '<f8'),
  'ops': {opset: the sorted ONNX operator types of that file},
  'failed': {opset: the exporter's message} for opsets the exporter refused (absent if none).
"""
import base64
import copy
import importlib.util
import io
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'onnx-ops')
OPSETS = [11, 13, 17]

_spec = importlib.util.spec_from_file_location('make_onnx_fixtures', os.path.join(HERE, 'make-onnx-fixtures.py'))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)
b64 = base.b64  # little-endian float32, base64


def b64_f64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f8').tobytes()).decode('ascii')


def randomize_norms(model, seed=0):
    """Non-trivial BatchNorm running statistics and affine parameters, LayerNorm affine parameters
    and ConvNeXt layer scales (shared with make-torchvision-fixtures.py)."""
    g = torch.Generator().manual_seed(seed)
    u = lambda t, lo, hi: t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                u(m.running_mean, -0.2, 0.2)
                u(m.running_var, 0.5, 1.5)
                if m.affine:
                    u(m.weight, 0.6, 1.2)
                    u(m.bias, -0.2, 0.2)
            elif isinstance(m, (nn.LayerNorm, nn.GroupNorm)) and m.weight is not None:
                u(m.weight, 0.6, 1.4)
                u(m.bias, -0.3, 0.3)
        for name, p in model.named_parameters():
            if name.endswith('layer_scale'):
                u(p, 0.2, 0.6)
    return model


def export(name, model, x, note, opsets=OPSETS, dynamic=True, seed=0):
    randomize_norms(model, seed)
    model.eval()
    with torch.no_grad():
        y = model(x).numpy()
        y64 = copy.deepcopy(model).double()(x.double()).numpy()
    ops, failed = {}, {}
    for k in opsets:
        buf = io.BytesIO()
        try:
            torch.onnx.export(model, x, buf, opset_version=k, input_names=['input'], output_names=['output'],
                              dynamic_axes={'input': {0: 'N'}, 'output': {0: 'N'}} if dynamic else None)
        except Exception as e:  # an operator this opset cannot express
            failed[k] = str(e).split('\n')[0]
            continue
        m = onnx.load_from_string(buf.getvalue())
        onnx.checker.check_model(m)
        onnx.save(m, os.path.join(OUT, f'{name}.opset{k}.onnx'))
        ops[k] = sorted({n.op_type for n in m.graph.node})
    doc = {
        'model': name, 'opsets': sorted(ops), 'note': note,
        'input': {'name': 'input', 'shape': list(x.shape), 'data': b64(x.numpy())},
        'output': {'name': 'output', 'shape': list(y.shape), 'data': b64(y)},
        'output64': {'name': 'output', 'shape': list(y64.shape), 'dtype': 'float64', 'data': b64_f64(y64)},
        'ops': {str(k): v for k, v in ops.items()},
    }
    if failed:
        doc['failed'] = {str(k): v for k, v in failed.items()}
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print(f'{name}: opsets {sorted(ops)}{"; failed " + str(sorted(failed)) if failed else ""}: '
          f'{" ".join(ops[max(ops)]) if ops else ""}', file=sys.stderr)


def conv_bn(cin, cout, k=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout))


# ---- activations --------------------------------------------------------------------------------

class ActClip(nn.Module):
    """ReLU6 (Clip 0..6), clamp with a minimum only, with a maximum only, hardtanh (both)."""
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3, self.c4 = conv_bn(3, 8), conv_bn(8, 8), nn.Conv2d(8, 8, 1), nn.Conv2d(8, 6, 1)

    def forward(self, x):
        y = F.relu6(self.c1(x) * 3)
        y = torch.clamp(self.c2(y), min=-0.5)
        y = torch.clamp(self.c3(y), max=0.7)
        return F.hardtanh(self.c4(y) * 2, -1.0, 2.0)


class ActHard(nn.Module):
    """Hardsigmoid and Hardswish as MobileNetV3 uses them (inputs spanning -3..3 and beyond)."""
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = conv_bn(3, 8), conv_bn(8, 8, groups=8), nn.Conv2d(8, 6, 1)

    def forward(self, x):
        y = F.hardswish(self.c1(x) * 3)
        y = F.hardsigmoid(self.c2(y) * 4)
        return nn.Hardswish()(self.c3(y) * 3)


class ActSmooth(nn.Module):
    """SiLU, GELU (exact, Erf form), GELU (tanh approximation), Mish."""
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3, self.c4 = conv_bn(3, 8), conv_bn(8, 8), nn.Conv2d(8, 8, 1), nn.Conv2d(8, 6, 1)

    def forward(self, x):
        y = F.silu(self.c1(x) * 2)
        y = F.gelu(self.c2(y) * 2)
        y = F.gelu(self.c3(y) * 2, approximate='tanh')
        return F.mish(self.c4(y) * 2)


class SEBlock(nn.Module):
    """MobileNetV3 / EfficientNet squeeze-excitation: global average pool, 1×1 convs, a
    hardsigmoid (then a sigmoid) gate, multiplied into the channels ([N,C,1,1] × [N,C,H,W])."""
    def __init__(self):
        super().__init__()
        self.expand, self.dw = conv_bn(4, 16, 1), conv_bn(16, 16, 3, groups=16)
        self.fc1, self.fc2 = nn.Conv2d(16, 4, 1), nn.Conv2d(4, 16, 1)
        self.fc3, self.fc4 = nn.Conv2d(16, 4, 1), nn.Conv2d(4, 16, 1)
        self.project = conv_bn(16, 4, 1)

    def forward(self, x):
        y = F.hardswish(self.expand(x))
        y = F.hardswish(self.dw(y))
        s = F.adaptive_avg_pool2d(y, 1)
        y = y * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))
        s = y.mean((2, 3), keepdim=True)  # EfficientNet's form: ReduceMean, SiLU, sigmoid gate
        y = y * torch.sigmoid(self.fc4(F.silu(self.fc3(s))))
        return self.project(y) + x


# ---- arithmetic ---------------------------------------------------------------------------------

class BinaryBcast(nn.Module):
    """Add/Sub/Mul/Div/Pow between activations and constants of several broadcast shapes."""
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(21)
        self.conv = conv_bn(3, 6)
        self.conv2 = nn.Conv2d(3, 6, 1)
        self.register_buffer('kc', torch.rand(6, 1, 1, generator=g) + 0.5)    # [C,1,1]
        self.register_buffer('kw', torch.randn(7, generator=g))              # [W]
        self.register_buffer('khw', torch.randn(5, 7, generator=g))          # [H,W]
        self.register_buffer('k1c', torch.rand(1, 6, 1, 1, generator=g) + 0.5)  # [1,C,1,1]

    def forward(self, x):
        a, b = self.conv(x), self.conv2(x)
        y = a + 0.5                       # scalar
        y = y * self.kc - self.kw         # [C,1,1], [W]
        y = y / self.k1c + self.khw       # [1,C,1,1], [H,W]
        y = 2.0 - y                       # constant first
        z = torch.sigmoid(b) + 0.5        # positive
        y = y * z - a / z                 # activation × activation, same shape
        y = y + z ** 2 + z.pow(1.5)       # Pow with constant exponents
        m = b.mean(1, keepdim=True)       # [N,1,H,W] against [N,C,H,W]
        y = y * m + (1.0 / z)             # constant divided by an activation
        return y - b.amax((2, 3), keepdim=True)  # [N,C,1,1]


class Unary(nn.Module):
    """sqrt(|x|), erf, exp, neg, reciprocal (of a value kept away from 0), concatenated."""
    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 4)

    def forward(self, x):
        y = self.conv(x)
        return torch.cat([torch.sqrt(torch.abs(y)), torch.erf(y), torch.exp(y * 0.5), torch.neg(y),
                          torch.reciprocal(torch.abs(y) + 0.5), torch.abs(y)], 1)


class Reduce(nn.Module):
    """mean, sum and max (amax) over several axis sets, keepdim both ways."""
    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 5)

    def forward(self, x):
        y = self.conv(x)
        parts = [
            y.mean((2, 3)), y.mean(1, keepdim=True), y.mean((1, 2, 3), keepdim=True), y.mean(-1),
            y.sum(1), y.sum((2, 3), keepdim=True), y.sum(-2, keepdim=True),
            y.amax((2, 3)), y.amax(1, keepdim=True), y.amax(-1, keepdim=True),
        ]
        return torch.cat([p.flatten(1) for p in parts], 1)


class GlobalMaxFn(torch.autograd.Function):
    """GlobalMaxPool: the exporter writes adaptive_max_pool2d(x, 1) as a MaxPool whose kernel is the
    input's size, so the ONNX operator itself comes through a symbolic (its documented extension point)."""
    @staticmethod
    def forward(ctx, x):
        return x.amax((2, 3), keepdim=True)

    @staticmethod
    def symbolic(g, x):
        return g.op('GlobalMaxPool', x)


class GlobalMax(nn.Module):
    """GlobalMaxPool, adaptive_max_pool2d(1) (a full-size MaxPool) and global average pooling."""
    def __init__(self):
        super().__init__()
        self.conv, self.fc = conv_bn(3, 8), nn.Linear(24, 5)

    def forward(self, x):
        y = F.relu(self.conv(x))
        y = torch.cat([GlobalMaxFn.apply(y), F.adaptive_max_pool2d(y * 0.5 - 1, 1), F.adaptive_avg_pool2d(y, 1)], 1)
        return self.fc(torch.flatten(y, 1))


# ---- normalisation ------------------------------------------------------------------------------

class LayerNormLast(nn.Module):
    """nn.LayerNorm over the last dim and over the last two (opset 17: LayerNormalization; earlier:
    ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add)."""
    def __init__(self):
        super().__init__()
        self.conv, self.ln1, self.fc, self.ln2 = conv_bn(3, 4), nn.LayerNorm(8), nn.Linear(8, 8), nn.LayerNorm([6, 8], eps=1e-3)

    def forward(self, x):
        y = self.ln1(self.conv(x) * 2 + 1)
        return self.ln2(F.gelu(self.fc(y)))


class LayerNorm2d(nn.Module):
    """ConvNeXt's channels-first LayerNorm: torchvision's permute → LayerNorm → permute, and the
    functional form of the ConvNeXt paper's code (mean over C, (x-u)², sqrt, affine [C,1,1])."""
    def __init__(self):
        super().__init__()
        self.stem, self.ln = nn.Conv2d(3, 8, 2, 2), nn.LayerNorm(8, eps=1e-6)
        self.dw = nn.Conv2d(8, 8, 7, padding=3, groups=8)
        g = torch.Generator().manual_seed(22)
        self.w = nn.Parameter(torch.rand(8, generator=g) + 0.5)
        self.b = nn.Parameter(torch.randn(8, generator=g) * 0.2)
        self.head = nn.Conv2d(8, 6, 1)

    def forward(self, x):
        y = self.ln(self.stem(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = self.dw(y)
        u = y.mean(1, keepdim=True)
        s = (y - u).pow(2).mean(1, keepdim=True)
        y = (y - u) / torch.sqrt(s + 1e-6)
        y = self.w[:, None, None] * y + self.b[:, None, None]
        return self.head(y)


# ---- layout -------------------------------------------------------------------------------------

def channel_shuffle(x, groups):
    n, c, h, w = x.size()
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)


class ChannelShuffle(nn.Module):
    """ShuffleNetV2 units: chunk into halves, a branch, cat, view/transpose/view; a stride-2 unit
    with both branches; torch.split into unequal parts and cat back in another order."""
    def __init__(self):
        super().__init__()
        self.b1 = nn.Sequential(conv_bn(8, 8, 3, 2, groups=8), conv_bn(8, 8, 1), nn.ReLU())
        self.b2 = nn.Sequential(conv_bn(8, 8, 1), nn.ReLU(), conv_bn(8, 8, 3, 2, groups=8), conv_bn(8, 8, 1), nn.ReLU())
        self.b3 = nn.Sequential(conv_bn(8, 8, 1), nn.ReLU(), conv_bn(8, 8, 3, groups=8), conv_bn(8, 8, 1), nn.ReLU())
        self.stem = conv_bn(3, 8)

    def forward(self, x):
        y = F.relu(self.stem(x))
        y = channel_shuffle(torch.cat([self.b1(y), self.b2(y)], 1), 2)  # stride 2: 16 channels
        a, b = y.chunk(2, dim=1)
        y = channel_shuffle(torch.cat([a, self.b3(b)], 1), 2)
        p, q, r = torch.split(y, [4, 5, 7], dim=1)
        return channel_shuffle(torch.cat([r, p, q], 1), 4)


class SliceSplit(nn.Module):
    """x[:, 2:5], negative indices, step 2, spatial slices, torch.chunk (uneven) and torch.split."""
    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 8)

    def forward(self, x):
        y = self.conv(x)
        parts = [y[:, 2:5], y[:, -3:], y[:, ::2], y[:, 1:-1:3], y[:, :, 1:-1, ::2], y[..., -2:]]
        parts += list(torch.chunk(y, 3, dim=1)) + list(torch.split(y, [2, 6], dim=1))
        parts += list(torch.split(y, 3, dim=-1))
        return torch.cat([p.flatten(1) for p in parts], 1)


class ReshapeShape(nn.Module):
    """x.view(x.size(0), -1), reshape(n, c, -1) from x.shape (Shape/Gather/Concat), flatten(2)."""
    def __init__(self):
        super().__init__()
        self.conv, self.fc = conv_bn(3, 4), nn.Linear(4 * 5 * 7, 6)

    def forward(self, x):
        y = self.conv(x)
        n, c, h, w = y.shape
        a = self.fc(y.view(y.size(0), -1))
        b = F.softmax(y.reshape(n, c, -1), dim=-1).reshape(n, c * h * w // 5, 5).sum(-1)
        d = y.flatten(2).mean(-1)
        return torch.cat([a, b, d], 1)


class MatMulND(nn.Module):
    """A ConvNeXt block (depthwise 7×7, permute to NHWC, LayerNorm, Linear ×4, GELU, Linear,
    layer scale, permute back, residual), torch.matmul of a 4-D activation by a 2-D constant,
    and batched 3-D × 3-D between activations (attention-like)."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.dw = nn.Conv2d(8, 8, 7, padding=3, groups=8)
        self.ln = nn.LayerNorm(8, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(8, 32), nn.Linear(32, 8)
        self.layer_scale = nn.Parameter(torch.full((8, 1, 1), 1e-6))
        g = torch.Generator().manual_seed(23)
        self.register_buffer('w', torch.randn(7, 4, generator=g) * 0.5)

    def forward(self, x):
        y = self.stem(x)
        z = self.dw(y).permute(0, 2, 3, 1)
        z = self.fc2(F.gelu(self.fc1(self.ln(z)))).permute(0, 3, 1, 2)
        y = y + self.layer_scale * z
        m = torch.matmul(y, self.w)                       # [N,8,5,7] × [7,4]
        q = y.flatten(2)                                  # [N,8,35]
        att = torch.softmax(torch.matmul(q, q.transpose(1, 2)) * 0.1, -1)  # [N,8,8]
        return torch.cat([m.flatten(1), torch.matmul(att, q).flatten(1)], 1)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(1)
    x = lambda *s: torch.randn(*s, generator=g)
    models = [
        ('act_clip', ActClip, 'ReLU6 (Clip 0..6), clamp min only, clamp max only, hardtanh(-1, 2); conv+BN'),
        ('act_hard', ActHard, 'Hardswish (HardSwish at opset 17, HardSigmoid+Mul before), Hardsigmoid; depthwise conv+BN'),
        ('act_silu_gelu_mish', ActSmooth, 'SiLU (Sigmoid+Mul), GELU exact (Erf form), GELU tanh approximation, Mish (Softplus, Tanh, Mul)'),
        ('se_block', SEBlock, 'MobileNetV3/EfficientNet squeeze-excitation: GlobalAveragePool and ReduceMean, 1x1 convs, HardSigmoid and Sigmoid gates, channel Mul; residual Add'),
        ('binary_bcast', BinaryBcast, 'Add/Sub/Mul/Div/Pow with scalar, [C,1,1], [1,C,1,1], [W], [H,W] constants, constant-first Sub/Div, activation x activation, [N,1,H,W] and [N,C,1,1] broadcasts'),
        ('unary', Unary, 'Sqrt(Abs), Erf, Exp, Neg, Reciprocal, Abs; Concat'),
        ('reduce', Reduce, 'ReduceMean/ReduceSum/ReduceMax over (2,3), 1, (1,2,3), -1, -2 with keepdim 0 and 1; Flatten; Concat'),
        ('global_max', GlobalMax, 'GlobalMaxPool (through a symbolic), adaptive_max_pool2d(1) (MaxPool over the whole map), GlobalAveragePool, Flatten, Gemm'),
        ('layernorm_last', LayerNormLast, 'nn.LayerNorm over the last dim and the last two (LayerNormalization at opset 17, decomposed before), Linear on 4-D (MatMul), GELU'),
        ('layernorm2d', LayerNorm2d, "ConvNeXt's channels-first LayerNorm: permute/LayerNorm/permute and the functional ReduceMean/Sub/Pow/Sqrt/Div form with a [C,1,1] affine"),
        ('channel_shuffle', ChannelShuffle, 'ShuffleNetV2: Split (chunk), Concat, Reshape/Transpose/Reshape from Shape nodes, stride-2 unit, torch.split into [4, 5, 7]'),
        ('slice_split', SliceSplit, 'Slice: [2:5], [-3:], [::2], [1:-1:3], spatial [1:-1, ::2], [..., -2:]; Split from torch.chunk (uneven) and torch.split'),
        ('reshape_shape', ReshapeShape, 'view(x.size(0), -1), reshape(n, c, -1) and reshape(n, c*h*w//5, 5) from Shape/Gather/Concat, flatten(2), softmax over the last axis'),
        ('matmul_nd', MatMulND, 'ConvNeXt block (Linear on [N,H,W,C]: MatMul+Add, GELU, layer scale, Transpose), MatMul 4-D x 2-D constant, batched 3-D x 3-D activations'),
    ]
    shapes = {'se_block': (2, 4, 5, 7), 'layernorm_last': (2, 3, 6, 8), 'layernorm2d': (2, 3, 10, 10), 'global_max': (2, 3, 6, 6)}
    for i, (name, cls, note) in enumerate(models):
        torch.manual_seed(100 + i)
        export(name, cls(), x(*shapes.get(name, (2, 3, 5, 7))), note, seed=200 + i)
    files = [os.path.join(OUT, f) for f in os.listdir(OUT)]
    print(f'wrote {len(files)} files, {sum(map(os.path.getsize, files))} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
