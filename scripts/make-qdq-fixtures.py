#!/usr/bin/python3
"""Builds the quantized ONNX fixtures of test/onnx-qdq.test.ts (Debian's python3-torch 1.13 and
python3-onnx 1.12; run with /usr/bin/python3). Not run at test time; the outputs are committed in
test/fixtures/onnx-qdq/. Then `node scripts/make-qdq-references.mjs` runs every fixture in
onnxruntime-web and adds its outputs to the JSON files.

QDQ models. Small PyTorch float models (fixed seeds, random weights, batch norms with non-trivial
running statistics folded into the convolutions with torch.nn.utils.fusion, model.eval()) are
exported by torch.onnx.export at opset 13, then rewritten here into the QDQ form that
onnxruntime's quantize_static (QuantFormat.QDQ) writes, with our own calibration:
  - every activation input and output of Conv, Gemm, MatMul, Add, Concat, MaxPool and
    GlobalAveragePool gets a QuantizeLinear → DequantizeLinear pair (named <t>_QuantizeLinear,
    <t>_DequantizeLinear; all readers of <t> read the DequantizeLinear output; a graph output keeps
    its name on the DequantizeLinear);
  - per-tensor scale and zero point from the min/max over the calibration batches, widened to
    contain 0 (uint8: qmin 0, qmax 255; int8: −128…127; zero point round-half-even(qmin − min/scale));
  - MaxPool's output takes its input's parameters (quantize_static's QDQMaxPool);
  - a Relu or Clip whose input comes from a quantized node and is read by it alone is removed, its
    producer writing the activation's output (QDQRemovableActivation): the quantization range of
    that tensor, [0, max], is what clamps;
  - weights int8 symmetric (scale = max|w| / 127, zero point 0), per output channel
    (DequantizeLinear axis: 0 for Conv and Gemm with transB, 1 for MatMul) or per tensor;
  - biases int32 with scale x_scale · w_scale and zero point 0 (round half to even of b / scale).
Activations are uint8 (quantize_static's QUInt8; the importer shifts them to int8 with zero point
− 128, exactly) or int8. One fixture (cnn_s8_sym) has the form other tools write: int8 symmetric
activations (zero point 0) with the Relu kept between the convolution and the QuantizeLinear of
its output, so that the clamp is not implied by the quantization range. The last two quantized 4-D
activations of each QDQ model are extra graph outputs (their DequantizeLinear outputs), so that
the tests compare thousands of integers, not only the few logits.

Operator-form models (one operator each, between a QuantizeLinear of the float input and a
DequantizeLinear, or Cast + Mul, of the result): QLinearConv, QLinearMatMul, ConvInteger,
MatMulInteger and com.microsoft's QLinearAdd.

Every fixture's JSON holds its fixed float32 inputs and, for each output, the reference this
script computes in numpy/torch float64 from the integer semantics of the operators (the graph as
written: DequantizeLinear → float operator → QuantizeLinear, rounding half to even), and the
scale / zero point of the output's last quantization where there is one (so the test can compare
integers). make-qdq-references.mjs adds onnxruntime-web's outputs (its int8 kernels: it fuses
the QDQ groups into QLinearConv and friends).
"""
import base64
import io
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torch.nn.utils.fusion import fuse_conv_bn_eval

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-qdq')
MS = 'com.microsoft'
NP_OF = {TensorProto.UINT8: np.uint8, TensorProto.INT8: np.int8, TensorProto.INT32: np.int32}
RANGE = {TensorProto.UINT8: (0, 255), TensorProto.INT8: (-128, 127)}


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


# ---- float models --------------------------------------------------------------------------------

def randomize_bn(bn, g):
    c = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
        bn.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
        bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
        bn.bias.copy_(torch.rand(c, generator=g) * 0.6 - 0.3)


class ConvBN(nn.Module):
    """Conv2d + BatchNorm2d (+ activation), folded before export."""

    def __init__(self, cin, cout, k, g, stride=1, padding=0, groups=1, act='relu'):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        randomize_bn(self.bn, g)
        self.act = act

    def fold(self):
        self.eval()
        self.conv = fuse_conv_bn_eval(self.conv, self.bn)
        self.bn = nn.Identity()

    def forward(self, x):
        y = self.bn(self.conv(x))
        if self.act == 'relu':
            return F.relu(y)
        if self.act == 'relu6':
            return torch.clamp(y, 0, 6)  # exported as Clip(0, 6)
        return y


class SmallCNN(nn.Module):
    """conv-relu-maxpool-conv-relu-gap-gemm"""

    def __init__(self, g):
        super().__init__()
        self.c1 = ConvBN(3, 8, 3, g, padding=1)
        self.c2 = ConvBN(8, 16, 3, g, padding=1, stride=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(self.c1(x), 2)
        x = F.adaptive_avg_pool2d(self.c2(x), 1)  # exported as GlobalAveragePool
        return self.fc(torch.flatten(x, 1))


class Residual(nn.Module):
    """stem, a basic block with an identity shortcut, one with a strided 1x1 shortcut; gap, gemm"""

    def __init__(self, g):
        super().__init__()
        self.stem = ConvBN(3, 8, 3, g, padding=1)
        self.a1 = ConvBN(8, 8, 3, g, padding=1)
        self.a2 = ConvBN(8, 8, 3, g, padding=1, act=None)
        self.b1 = ConvBN(8, 12, 3, g, padding=1, stride=2)
        self.b2 = ConvBN(12, 12, 3, g, padding=1, act=None)
        self.bs = ConvBN(8, 12, 1, g, stride=2, act=None)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(self.a2(self.a1(x)) + x)
        x = F.relu(self.b2(self.b1(x)) + self.bs(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Mobile(nn.Module):
    """MobileNetV2-style: stem (ReLU6), inverted residual (pw expand ReLU6, dw ReLU6, pw linear, add), gap, gemm"""

    def __init__(self, g):
        super().__init__()
        self.stem = ConvBN(3, 8, 3, g, stride=2, padding=1, act='relu6')
        self.dw0 = ConvBN(8, 8, 3, g, padding=1, groups=8, act='relu6')
        self.pw0 = ConvBN(8, 8, 1, g, act=None)
        self.exp = ConvBN(8, 24, 1, g, act='relu6')
        self.dw = ConvBN(24, 24, 3, g, padding=1, groups=24, act='relu6')
        self.pw = ConvBN(24, 8, 1, g, act=None)
        self.dw2 = ConvBN(8, 8, 3, g, stride=2, padding=1, groups=8, act='relu6')
        self.fc = nn.Linear(8, 6)

    def forward(self, x):
        x = self.pw0(self.dw0(self.stem(x)))
        x = x + self.pw(self.dw(self.exp(x)))
        x = self.dw2(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Branches(nn.Module):
    """stem, two branches (1x1 conv; 3x3 conv after a max pool with stride 1) concatenated, 1x1 conv, gap, gemm"""

    def __init__(self, g):
        super().__init__()
        self.stem = ConvBN(3, 8, 3, g, padding=1)
        self.a = ConvBN(8, 4, 1, g)
        self.b = ConvBN(8, 6, 3, g, padding=1)
        self.mix = ConvBN(10, 8, 1, g)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.stem(x)
        y = torch.cat([self.a(x), self.b(F.max_pool2d(x, 3, stride=1, padding=1))], 1)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.mix(y), 1), 1))


class Mlp(nn.Module):
    """x @ W (MatMul, no bias) → relu → linear (Gemm)"""

    def __init__(self, g):
        super().__init__()
        self.w = nn.Parameter(torch.randn(20, 16, generator=g) * 0.3)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        return self.fc(F.relu(x @ self.w))


def export(model, shape):
    for m in model.modules():
        if isinstance(m, ConvBN):
            m.fold()
    model.eval()
    buf = io.BytesIO()
    x = torch.zeros(2, *shape)
    torch.onnx.export(model, x, buf, opset_version=13, input_names=['input'], output_names=['output'],
                      dynamic_axes={'input': {0: 'N'}, 'output': {0: 'N'}})
    m = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(m)
    for n in [n for n in m.graph.node if n.op_type == 'Constant']:  # Clip's bounds: initializers instead
        m.graph.initializer.append(numpy_helper.from_array(numpy_helper.to_array(n.attribute[0].t), n.output[0]))
        m.graph.node.remove(n)
    for n in m.graph.node:
        assert n.op_type in ('Conv', 'Relu', 'Clip', 'MaxPool', 'GlobalAveragePool', 'Flatten', 'Gemm', 'MatMul', 'Add', 'Concat'), n.op_type
    return m


# ---- an evaluator of the ONNX graphs (float64; integer operators by their definitions) ----------

def attrs(n):
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


def rne(x):
    return np.rint(x)  # round half to even


def quantize(x, scale, zp, axis=1):
    scale = np.asarray(scale, np.float32)
    zp = np.asarray(zp)
    lo, hi = (0, 255) if zp.dtype == np.uint8 else (-128, 127)
    if scale.ndim == 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    q = rne(x.astype(np.float32) / scale) + zp.astype(np.float64)  # ORT divides in float32
    return np.clip(q, lo, hi).astype(zp.dtype)


def dequantize(q, scale, zp, axis=1):
    scale = np.asarray(scale, np.float32)
    zp = np.asarray(zp) if zp is not None else np.zeros_like(scale, dtype=q.dtype)
    if scale.ndim == 1:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return ((q.astype(np.float64) - zp.astype(np.float64)).astype(np.float32) * scale).astype(np.float32)


def conv_f64(x, w, b, a):
    pads = a.get('pads', [0, 0, 0, 0])
    t = torch.from_numpy(np.asarray(x, np.float64))
    if pads[0] != pads[2] or pads[1] != pads[3]:
        t = F.pad(t, (pads[1], pads[3], pads[0], pads[2]))
        pads = [0, 0, 0, 0]
    y = F.conv2d(t, torch.from_numpy(np.asarray(w, np.float64)),
                 None if b is None else torch.from_numpy(np.asarray(b, np.float64)),
                 stride=tuple(a.get('strides', [1, 1])), padding=(pads[0], pads[1]),
                 dilation=tuple(a.get('dilations', [1, 1])), groups=a.get('group', 1))
    return y.numpy()


def requantize(acc, real_scale, zp):
    lo, hi = (0, 255) if zp.dtype == np.uint8 else (-128, 127)
    return np.clip(rne(acc * real_scale) + float(zp), lo, hi).astype(zp.dtype)


def chan(v, ndim, axis=1):
    v = np.asarray(v)
    if v.ndim == 0:
        return v
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def run(model, feeds, keep_all=False):
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env = dict(init)
    env.update(feeds)
    for n in model.graph.node:
        a = attrs(n)
        i = [env[k] if k != '' else None for k in n.input]
        op = n.op_type
        if op == 'Conv':
            y = conv_f64(i[0], i[1], i[2] if len(i) > 2 else None, a).astype(np.float32)
        elif op == 'Relu':
            y = np.maximum(i[0], 0)
        elif op == 'Clip':
            y = np.clip(i[0], i[1], i[2])
        elif op == 'MaxPool':
            p = a.get('pads', [0, 0, 0, 0])
            y = F.max_pool2d(torch.from_numpy(i[0].astype(np.float64)), tuple(a['kernel_shape']), tuple(a.get('strides', [1, 1])),
                             (p[0], p[1]), ceil_mode=bool(a.get('ceil_mode', 0))).numpy().astype(i[0].dtype)  # 8-bit inputs too
        elif op == 'GlobalAveragePool':
            y = i[0].astype(np.float64).mean(axis=(2, 3), keepdims=True).astype(np.float32)
        elif op == 'Flatten':
            y = i[0].reshape(i[0].shape[0], -1)
        elif op == 'Gemm':
            bm = i[1].T if a.get('transB', 0) else i[1]
            y = (a.get('alpha', 1.0) * (i[0].astype(np.float64) @ bm) + a.get('beta', 1.0) * i[2]).astype(np.float32)
        elif op == 'MatMul':
            y = (i[0].astype(np.float64) @ i[1]).astype(np.float32)
        elif op == 'Add':
            y = (i[0].astype(np.float64) + i[1]).astype(np.float32)
        elif op == 'Mul':
            y = (i[0].astype(np.float64) * i[1]).astype(np.float32)
        elif op == 'Concat':
            y = np.concatenate(i, axis=a['axis'])
        elif op == 'Cast':
            assert a['to'] == TensorProto.FLOAT
            y = i[0].astype(np.float32)
        elif op == 'QuantizeLinear':
            y = quantize(i[0], i[1], i[2], a.get('axis', 1))
        elif op == 'DequantizeLinear':
            y = dequantize(i[0], i[1], i[2] if len(i) > 2 else None, a.get('axis', 1))
        elif op == 'QLinearConv':
            x, sx, zx, w, sw, zw, sy, zy = i[:8]
            acc = conv_f64(x.astype(np.float64) - float(zx), w.astype(np.float64) - chan(zw, 4, 0).astype(np.float64),
                           None if len(i) < 9 else i[8].astype(np.float64), a)
            y = requantize(acc, chan(np.float32(sx) * np.asarray(sw, np.float32) / np.float32(sy), 4), zy)
        elif op == 'QLinearMatMul':
            x, sx, zx, w, sw, zw, sy, zy = i
            acc = (x.astype(np.float64) - float(zx)) @ (w.astype(np.float64) - chan(zw, 2, 1))
            y = requantize(acc, chan(np.float32(sx) * np.asarray(sw, np.float32) / np.float32(sy), 2), zy)
        elif op == 'QLinearAdd':
            qa, sa, za, qb, sb, zb, sc, zc = i
            real = (qa.astype(np.float64) - float(za)) * np.float64(sa) + (qb.astype(np.float64) - float(zb)) * np.float64(sb)
            y = requantize(real, 1 / np.float64(sc), zc)
        elif op == 'ConvInteger':
            zx = 0.0 if len(i) < 3 or i[2] is None else float(i[2])
            zw = 0.0 if len(i) < 4 or i[3] is None else chan(i[3], 4, 0).astype(np.float64)
            y = conv_f64(i[0].astype(np.float64) - zx, i[1].astype(np.float64) - zw, None, a).astype(np.int32)
        elif op == 'MatMulInteger':
            za = 0.0 if len(i) < 3 or i[2] is None else float(i[2])
            zb = 0.0 if len(i) < 4 or i[3] is None else chan(i[3], 2, 1).astype(np.float64)
            y = ((i[0].astype(np.float64) - za) @ (i[1].astype(np.float64) - zb)).astype(np.int32)
        else:
            raise ValueError(op)
        env[n.output[0]] = y
    return env if keep_all else [env[o.name] for o in model.graph.output]


# ---- calibration and the QDQ rewrite ---------------------------------------------------------------

def act_qparams(lo, hi, dtype, symmetric=False):
    """quantize_static's activation parameters (float32 scale, zero point of dtype); symmetric: int8 −127…127, zero point 0."""
    if symmetric:
        m = max(abs(float(lo)), abs(float(hi)))
        return np.float32(m / 127 if m > 0 else 1.0), np.array(0, dtype=np.int8)
    qmin, qmax = RANGE[dtype]
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / (qmax - qmin)) if hi > lo else np.float32(1.0)
    zp = int(rne(qmin - lo / float(scale)))
    return scale, np.array(min(qmax, max(qmin, zp)), dtype=NP_OF[dtype])


def weight_qparams(w, axis, per_channel):
    """Symmetric int8 weights (−127…127, zero point 0), per channel along axis or per tensor."""
    if per_channel:
        moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
        m = np.abs(moved).max(axis=1)
    else:
        m = np.array(np.abs(w).max())
    scale = np.where(m > 0, m / 127, 1).astype(np.float32)
    q = np.clip(rne(w / chan(scale, w.ndim, axis)), -127, 127).astype(np.int8)
    return q, scale


SHAPES = {}  # tensor name → shape with a symbolic batch, as calibration saw it


def calibrate(model, batches):
    ranges = {}
    for x in batches:
        env = run(model, {'input': x}, keep_all=True)
        for k, v in env.items():
            if v.dtype != np.float32:
                continue
            lo, hi = float(v.min()), float(v.max())
            SHAPES[k] = ['N', *v.shape[1:]]
            r = ranges.get(k)
            ranges[k] = (lo, hi) if r is None else (min(r[0], lo), max(r[1], hi))
    return ranges


QUANTIZED = {'Conv', 'Gemm', 'MatMul', 'Add', 'Concat', 'MaxPool', 'GlobalAveragePool'}


def qdq(model, batches, act, per_channel, keep_activations=False, taps=0):
    """The float model rewritten as quantize_static's QDQ form (see the module docstring).

    keep_activations: the form other tools write (and quantize_static with symmetric activations
    comes close to): Relu / Clip stay between the quantized node and the QuantizeLinear of their
    output, and activations are int8 symmetric (zero point 0), so the ReLU's clamp is not implied
    by the quantization range."""
    ranges = calibrate(model, batches)
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes = list(g.node)
    outputs = {o.name for o in g.output}
    readers = {}
    for n in nodes:
        for k in n.input:
            readers.setdefault(k, []).append(n)
    # remove Relu / Clip after a quantized node (QDQRemovableActivation)
    if not keep_activations:
        for n in list(nodes):
            if n.op_type not in ('Relu', 'Clip'):
                continue
            src = n.input[0]
            prod = [p for p in nodes if src in p.output]
            if prod and prod[0].op_type in QUANTIZED and len(readers[src]) == 1 and src not in outputs:
                prod[0].output[0] = n.output[0]
                nodes.remove(n)
    quantized = QUANTIZED
    new_inits, pre, after = [], [], {}
    params = {}  # activation tensor → (scale, zp)
    kept = {}  # a quantized node's output read by a kept Relu / Clip alone → that activation's output
    if keep_activations:
        for n in nodes:
            if n.op_type in ('Relu', 'Clip') and len(readers[n.input[0]]) == 1:
                kept[n.input[0]] = n.output[0]

    def tensor_q(t):
        if t not in params:
            params[t] = act_qparams(*ranges[t], act, symmetric=keep_activations)
        return params[t]

    def add_init(name, arr, dtype=None):
        new_inits.append(numpy_helper.from_array(np.asarray(arr) if dtype is None else np.asarray(arr, dtype), name))
        return name

    to_quantize = []
    for n in nodes:
        if n.op_type not in quantized:
            continue
        act_inputs = [k for k in n.input if k not in inits and k != '']
        if n.op_type == 'MaxPool':
            params[n.output[0]] = tensor_q(act_inputs[0])  # QDQMaxPool: the output shares the input's
        for k in act_inputs + [kept.get(n.output[0], n.output[0])]:
            if k not in to_quantize:
                to_quantize.append(k)
        if n.op_type in ('Conv', 'Gemm', 'MatMul'):
            wname = n.input[1]
            w = inits[wname]
            axis = 1 if n.op_type == 'MatMul' or (n.op_type == 'Gemm' and not attrs(n).get('transB', 0)) else 0
            q, ws = weight_qparams(w, axis, per_channel)
            scale_shape = ws if per_channel else np.float32(ws)
            add_init(wname + '_quantized', q)
            add_init(wname + '_scale', scale_shape, np.float32)
            add_init(wname + '_zero_point', np.zeros_like(scale_shape, dtype=np.int8))
            kw = {'axis': axis} if per_channel else {}
            pre.append(helper.make_node('DequantizeLinear', [wname + '_quantized', wname + '_scale', wname + '_zero_point'],
                                        [wname + '_DequantizeLinear_Output'], wname + '_DequantizeLinear', **kw))
            n.input[1] = wname + '_DequantizeLinear_Output'
            if len(n.input) > 2 and n.input[2] in inits:
                bname = n.input[2]
                sx = tensor_q(n.input[0])[0]
                bs = (np.float32(sx) * ws).astype(np.float32)
                qb = rne(inits[bname].astype(np.float64) / bs).astype(np.int32)
                bscale = bs if per_channel else np.float32(bs)
                add_init(bname + '_quantized', qb)
                add_init(bname + '_quantized_scale', bscale, np.float32)
                add_init(bname + '_quantized_zero_point', np.zeros_like(bscale, dtype=np.int32))
                pre.append(helper.make_node('DequantizeLinear', [bname + '_quantized', bname + '_quantized_scale', bname + '_quantized_zero_point'],
                                            [bname + '_DequantizeLinear_Output'], bname + '_DequantizeLinear', **({'axis': 0} if per_channel else {})))
                n.input[2] = bname + '_DequantizeLinear_Output'
    for t in to_quantize:
        s, z = tensor_q(t)
        sn, zn = add_init(t + '_scale', s, np.float32), add_init(t + '_zero_point', z)
        is_out = t in outputs
        src = t + '_QuantizeLinear_Input' if is_out else t
        dq_out = t if is_out else t + '_DequantizeLinear_Output'
        for n in nodes:
            for j, k in enumerate(n.input):
                if k == t:
                    n.input[j] = dq_out
            if is_out:
                for j, k in enumerate(n.output):
                    if k == t:
                        n.output[j] = src
        pair = [helper.make_node('QuantizeLinear', [src, sn, zn], [t + '_QuantizeLinear_Output'], t + '_QuantizeLinear'),
                helper.make_node('DequantizeLinear', [t + '_QuantizeLinear_Output', sn, zn], [dq_out], t + '_DequantizeLinear')]
        after.setdefault(src, []).extend(pair)
    ordered = list(pre) + after.get('input', [])
    for n in nodes:
        ordered.append(n)
        ordered += after.get(n.output[0], [])
    used = {k for n in ordered for k in n.input}
    keep = [t for t in g.initializer if t.name in used]
    # the last `taps` quantized 4-D activations become extra outputs (more integers to compare)
    tap_names = [t for t in to_quantize if t not in outputs and len(SHAPES[t]) == 4][-taps:] if taps else []
    taps = [helper.make_tensor_value_info(t + '_DequantizeLinear_Output', TensorProto.FLOAT, SHAPES[t]) for t in to_quantize if t in tap_names]
    graph = helper.make_graph(ordered, g.name, list(g.input), list(g.output) + taps, keep + new_inits)
    out = helper.make_model(graph, opset_imports=list(model.opset_import), producer_name='simdnet make-qdq-fixtures.py')
    out.ir_version = model.ir_version
    onnx.checker.check_model(out)
    return out


def as_opset(model, opset):
    """The same graph declared at an older opset (QDQ per tensor is valid from opset 10)."""
    for o in model.opset_import:
        if o.domain in ('', 'ai.onnx'):
            o.version = opset
    onnx.checker.check_model(model)
    return model


# ---- operator-form models ---------------------------------------------------------------------

def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def op_model(nodes, inits, inputs, outputs, opset=13, ms=False):
    imports = [helper.make_opsetid('', opset)] + ([helper.make_opsetid(MS, 1)] if ms else [])
    graph = helper.make_graph(nodes, 'g', inputs, outputs, [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=imports, producer_name='simdnet make-qdq-fixtures.py')
    m.ir_version = 7
    if not ms:
        onnx.checker.check_model(m)
    return m


def qlinear_conv(rng, act, per_channel, cin, cout, shape, group=1, **conv):
    """input → QuantizeLinear → QLinearConv (int8 weights, int32 bias) → DequantizeLinear."""
    elem = act
    w = (rng.standard_normal((cout, cin // group, 3, 3)) * 0.4).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.2).astype(np.float32)
    cal = [rng.standard_normal((4, cin, *shape)).astype(np.float32) for _ in range(4)]
    sx, zx = act_qparams(min(c.min() for c in cal), max(c.max() for c in cal), elem)
    q, ws = weight_qparams(w, 0, per_channel)
    wdq = q.astype(np.float32) * chan(ws, 4, 0)
    ys = [conv_f64(dequantize(quantize(c, sx, zx), sx, zx), wdq, b, {'group': group, **conv}) for c in cal]
    sy, zy = act_qparams(min(y.min() for y in ys), max(y.max() for y in ys), elem)
    qb = rne(b.astype(np.float64) / (np.float32(sx) * ws)).astype(np.int32)
    inits = {'x_scale': np.float32(sx), 'x_zero_point': zx, 'w': q, 'w_scale': ws if per_channel else np.float32(ws),
             'w_zero_point': np.zeros(cout if per_channel else (), np.int8), 'y_scale': np.float32(sy), 'y_zero_point': zy, 'b': qb}
    nodes = [helper.make_node('QuantizeLinear', ['input', 'x_scale', 'x_zero_point'], ['xq']),
             helper.make_node('QLinearConv', ['xq', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'b'],
                              ['yq'], group=group, kernel_shape=[3, 3], **conv),
             helper.make_node('DequantizeLinear', ['yq', 'y_scale', 'y_zero_point'], ['output'])]
    return op_model(nodes, inits, [vi('input', ['N', cin, *shape])], [vi('output', ['N', cout, 'H', 'W'])])


def qlinear_matmul(rng, act, per_column, k, m):
    a = [rng.standard_normal((4, k)).astype(np.float32) for _ in range(4)]
    w = (rng.standard_normal((k, m)) * 0.3).astype(np.float32)
    sx, zx = act_qparams(min(c.min() for c in a), max(c.max() for c in a), act)
    q, ws = weight_qparams(w, 1, per_column)
    ys = [dequantize(quantize(c, sx, zx), sx, zx).astype(np.float64) @ (q * chan(ws, 2, 1)) for c in a]
    sy, zy = act_qparams(min(y.min() for y in ys), max(y.max() for y in ys), act)
    inits = {'a_scale': np.float32(sx), 'a_zero_point': zx, 'b': q, 'b_scale': ws if per_column else np.float32(ws),
             'b_zero_point': np.zeros(m if per_column else (), np.int8), 'y_scale': np.float32(sy), 'y_zero_point': zy}
    nodes = [helper.make_node('QuantizeLinear', ['input', 'a_scale', 'a_zero_point'], ['aq']),
             helper.make_node('QLinearMatMul', ['aq', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'], ['yq']),
             helper.make_node('DequantizeLinear', ['yq', 'y_scale', 'y_zero_point'], ['output'])]
    return op_model(nodes, inits, [vi('input', ['N', k])], [vi('output', ['N', m])])


def qlinear_add(rng, act, shape_a, shape_b):
    """two inputs → QuantizeLinear each → com.microsoft QLinearAdd → DequantizeLinear."""
    a = rng.standard_normal((4, *shape_a)).astype(np.float32) * 1.5
    b = rng.standard_normal((4, *shape_b)).astype(np.float32) * 0.7 + 0.3
    sa, za = act_qparams(a.min(), a.max(), act)
    sb, zb = act_qparams(b.min(), b.max(), act)
    y = dequantize(quantize(a, sa, za), sa, za) + dequantize(quantize(b, sb, zb), sb, zb)
    sy, zy = act_qparams(y.min(), y.max(), act)
    inits = {'a_scale': np.float32(sa), 'a_zero_point': za, 'b_scale': np.float32(sb), 'b_zero_point': zb, 'y_scale': np.float32(sy), 'y_zero_point': zy}
    nodes = [helper.make_node('QuantizeLinear', ['a', 'a_scale', 'a_zero_point'], ['aq']),
             helper.make_node('QuantizeLinear', ['b', 'b_scale', 'b_zero_point'], ['bq']),
             helper.make_node('QLinearAdd', ['aq', 'a_scale', 'a_zero_point', 'bq', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'], ['yq'], domain=MS),
             helper.make_node('DequantizeLinear', ['yq', 'y_scale', 'y_zero_point'], ['output'])]
    return op_model(nodes, inits, [vi('a', ['N', *shape_a]), vi('b', ['N', *shape_b])], [vi('output', ['N', *shape_a])], ms=True)


def conv_integer(rng, wtype, cin, cout, shape, **conv):
    """input → QuantizeLinear (uint8) → ConvInteger (weights of wtype with a zero point) → Cast → Mul(x_scale · w_scale)."""
    cal = rng.standard_normal((8, cin, *shape)).astype(np.float32)
    sx, zx = act_qparams(cal.min(), cal.max(), TensorProto.UINT8)
    if wtype == TensorProto.UINT8:
        w = rng.integers(0, 256, (cout, cin, 3, 3)).astype(np.uint8)
        zw = np.array(131, np.uint8)
    else:
        w = rng.integers(-100, 101, (cout, cin, 3, 3)).astype(np.int8)
        zw = np.array(0, np.int8)
    sw = np.float32(0.004)
    inits = {'x_scale': np.float32(sx), 'x_zero_point': zx, 'w': w, 'w_zero_point': zw, 'scale': np.float32(np.float32(sx) * sw)}
    nodes = [helper.make_node('QuantizeLinear', ['input', 'x_scale', 'x_zero_point'], ['xq']),
             helper.make_node('ConvInteger', ['xq', 'w', 'x_zero_point', 'w_zero_point'], ['acc'], kernel_shape=[3, 3], **conv),
             helper.make_node('Cast', ['acc'], ['accf'], to=TensorProto.FLOAT),
             helper.make_node('Mul', ['accf', 'scale'], ['output'])]
    return op_model(nodes, inits, [vi('input', ['N', cin, *shape])], [vi('output', ['N', cout, 'H', 'W'])])


def matmul_integer(rng, atype, k, m, per_column_zp):
    """input → QuantizeLinear → MatMulInteger (int8 B, zero point per column or none) → Cast → Mul."""
    cal = rng.standard_normal((8, k)).astype(np.float32)
    sx, zx = act_qparams(cal.min(), cal.max(), atype)
    b = rng.integers(-90, 91, (k, m)).astype(np.int8)
    inits = {'x_scale': np.float32(sx), 'x_zero_point': zx, 'b': b, 'scale': np.float32(np.float32(sx) * np.float32(0.01))}
    ins = ['xq', 'b', 'x_zero_point']
    if per_column_zp:
        inits['b_zero_point'] = rng.integers(-5, 6, m).astype(np.int8)
        ins.append('b_zero_point')
    nodes = [helper.make_node('QuantizeLinear', ['input', 'x_scale', 'x_zero_point'], ['xq']),
             helper.make_node('MatMulInteger', ins, ['acc']),
             helper.make_node('Cast', ['acc'], ['accf'], to=TensorProto.FLOAT),
             helper.make_node('Mul', ['accf', 'scale'], ['output'])]
    return op_model(nodes, inits, [vi('input', ['N', k])], [vi('output', ['N', m])])


def qop_chain(rng, act):
    """quantize_static's operator form (QuantFormat.QOperator) of a small CNN: QuantizeLinear →
    QLinearConv → MaxPool on the 8-bit tensor → QLinearConv → Flatten of the 8-bit tensor →
    QLinearMatMul → DequantizeLinear, scales from the float model on calibration batches."""
    cal = rng.standard_normal((16, 3, 8, 8)).astype(np.float32)
    inits, nodes = {}, []

    def qparams(name, values):
        s, z = act_qparams(values.min(), values.max(), act)
        inits[name + '_scale'], inits[name + '_zero_point'] = np.float32(s), z
        return s, z

    def dq(v, s, z):
        return dequantize(quantize(v, s, z), s, z)

    sx, zx = qparams('x', cal)
    nodes.append(helper.make_node('QuantizeLinear', ['input', 'x_scale', 'x_zero_point'], ['xq']))
    h = dq(cal, sx, zx)
    src, s_in = 'xq', sx
    for i, (cin, cout, stride, per_channel) in enumerate([(3, 6, 1, True), (6, 8, 2, False)]):
        w = (rng.standard_normal((cout, cin, 3, 3)) * 0.3).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
        q, ws = weight_qparams(w, 0, per_channel)
        y = conv_f64(h, q * chan(ws, 4, 0), None, {'strides': [stride, stride], 'pads': [1, 1, 1, 1]})
        qb = rne(b.astype(np.float64) / (np.float32(s_in) * ws)).astype(np.int32)
        y = y + chan(qb * (np.float32(s_in) * ws).astype(np.float64), 4)
        sy, zy = qparams(f'c{i}', y)
        inits.update({f'w{i}': q, f'w{i}_scale': ws if per_channel else np.float32(ws),
                      f'w{i}_zero_point': np.zeros(cout if per_channel else (), np.int8), f'b{i}': qb})
        prev = 'x' if i == 0 else f'c{i - 1}'
        nodes.append(helper.make_node('QLinearConv', [src, f'{prev}_scale', f'{prev}_zero_point', f'w{i}', f'w{i}_scale', f'w{i}_zero_point',
                                                      f'c{i}_scale', f'c{i}_zero_point', f'b{i}'], [f'c{i}q'], kernel_shape=[3, 3],
                                      strides=[stride, stride], pads=[1, 1, 1, 1]))
        h, src, s_in = dq(y, sy, zy), f'c{i}q', sy
        if i == 0:
            nodes.append(helper.make_node('MaxPool', [src], ['pq'], kernel_shape=[2, 2], strides=[2, 2]))
            h, src = F.max_pool2d(torch.from_numpy(h), 2).numpy(), 'pq'
    nodes.append(helper.make_node('Flatten', [src], ['fq'], axis=1))
    h = h.reshape(h.shape[0], -1)
    w = (rng.standard_normal((h.shape[1], 5)) * 0.2).astype(np.float32)
    q, ws = weight_qparams(w, 1, True)
    y = h.astype(np.float64) @ (q * chan(ws, 2, 1))
    sy, zy = qparams('y', y)
    inits.update({'w2': q, 'w2_scale': ws, 'w2_zero_point': np.zeros(5, np.int8)})
    nodes.append(helper.make_node('QLinearMatMul', ['fq', 'c1_scale', 'c1_zero_point', 'w2', 'w2_scale', 'w2_zero_point', 'y_scale', 'y_zero_point'], ['yq']))
    nodes.append(helper.make_node('DequantizeLinear', ['yq', 'y_scale', 'y_zero_point'], ['output']))
    return op_model(nodes, inits, [vi('input', ['N', 3, 8, 8])], [vi('output', ['N', 5])])


# ---- writing ------------------------------------------------------------------------------------

def last_quantization(model, out):
    """(scale, zero point, 'uint8'|'int8') of the DequantizeLinear that writes graph output `out`, or None."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == 'DequantizeLinear' and n.output[0] == out:
            z = inits[n.input[2]]
            return {'scale': float(inits[n.input[1]]), 'zeroPoint': int(z), 'type': 'uint8' if z.dtype == np.uint8 else 'int8'}
    return None


def write(name, model, feeds, note, kind):
    path = os.path.join(OUT, f'{name}.onnx')
    onnx.save(model, path)
    size = os.path.getsize(path)
    assert size < 1_000_000, (name, size)
    outs = run(model, feeds)
    fx = {
        'model': f'{name}.onnx', 'kind': kind, 'note': note,
        'opset': next(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')),
        'ops': sorted({n.op_type for n in model.graph.node}),
        'inputs': [{'name': k, 'shape': list(v.shape), 'data': b64(v)} for k, v in feeds.items()],
        'outputs': [{'name': o.name, 'shape': list(y.shape), 'python': b64(y), 'quantization': last_quantization(model, o.name)}
                    for o, y in zip(model.graph.output, outs)],
    }
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(fx, f, indent=1)
        f.write('\n')
    print(f'{name}: {size} bytes, ops {fx["ops"]}')


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.onnx') or f.endswith('.json'):
            os.remove(os.path.join(OUT, f))
    U8, S8 = TensorProto.UINT8, TensorProto.INT8
    qdq_models = [
        # name, model class, input shape, activations, per channel, note extras
        ('cnn_u8_pc', SmallCNN, [3, 12, 12], U8, True, {}),
        ('cnn_s8_pt', SmallCNN, [3, 12, 12], S8, False, {'opset': 11}),
        ('cnn_s8_sym', SmallCNN, [3, 12, 12], S8, True, {'keep_activations': True}),
        ('residual_u8_pc', Residual, [3, 10, 10], U8, True, {}),
        ('residual_s8_pc', Residual, [3, 10, 10], S8, True, {}),
        ('mobile_u8_pc', Mobile, [3, 16, 16], U8, True, {}),
        ('mobile_s8_pt', Mobile, [3, 16, 16], S8, False, {}),
        ('branches_u8_pt', Branches, [3, 9, 9], U8, False, {}),
        ('branches_s8_pc', Branches, [3, 9, 9], S8, True, {}),
        ('mlp_u8_pc', Mlp, [20], U8, True, {}),
        ('mlp_s8_pt', Mlp, [20], S8, False, {}),
    ]
    for seed, (name, cls, shape, act, pc, extra) in enumerate(qdq_models):
        g = torch.Generator().manual_seed(100 + seed)
        torch.manual_seed(100 + seed)
        fm = export(cls(g), shape)
        rng = np.random.default_rng(200 + seed)
        cal = [rng.standard_normal((4, *shape)).astype(np.float32) for _ in range(8)]
        m = qdq(fm, cal, act, pc, extra.get('keep_activations', False), taps=2)
        if 'opset' in extra:
            m = as_opset(m, extra['opset'])
        x = rng.standard_normal((2, *shape)).astype(np.float32)
        note = f'{cls.__doc__.strip()}; {"uint8" if act == U8 else "int8"} activations, weights int8 per {"channel" if pc else "tensor"}' + \
            ('; symmetric (zero point 0), Relu kept between the convolution and its QuantizeLinear' if extra.get('keep_activations') else '')
        write(name, m, {'input': x}, note, 'qdq')

    rng = np.random.default_rng(7)
    ops = [
        ('qlinearconv_u8_pc', lambda: qlinear_conv(rng, U8, True, 4, 6, [7, 7], strides=[2, 2], pads=[1, 1, 1, 1]), {'input': [4, 7, 7]},
         'QLinearConv uint8 x/y, int8 weights per channel, int32 bias, stride 2, pads 1'),
        ('qlinearconv_s8_dw', lambda: qlinear_conv(rng, S8, False, 5, 5, [6, 6], group=5, pads=[1, 0, 1, 2]), {'input': [5, 6, 6]},
         'QLinearConv int8 x/y, depthwise (group 5), weights per tensor, asymmetric pads'),
        ('qlinearmatmul_u8_pt', lambda: qlinear_matmul(rng, U8, False, 12, 5), {'input': [12]}, 'QLinearMatMul uint8 a/y, int8 b per tensor'),
        ('qlinearmatmul_s8_pc', lambda: qlinear_matmul(rng, S8, True, 9, 7), {'input': [9]}, 'QLinearMatMul int8 a/y, int8 b per column'),
        ('qlinearadd_u8', lambda: qlinear_add(rng, U8, [4, 5, 5], [4, 5, 5]), {'a': [4, 5, 5], 'b': [4, 5, 5]}, 'com.microsoft QLinearAdd uint8, same shapes'),
        ('qlinearadd_s8_bcast', lambda: qlinear_add(rng, S8, [4, 5, 5], [4, 1, 1]), {'a': [4, 5, 5], 'b': [4, 1, 1]}, 'com.microsoft QLinearAdd int8, b broadcast per channel'),
        ('convinteger_u8', lambda: conv_integer(rng, U8, 3, 4, [6, 6], pads=[1, 1, 1, 1]), {'input': [3, 6, 6]},
         'ConvInteger uint8 x and w with zero points 131, Cast, Mul by x_scale · w_scale'),
        ('convinteger_u8s8', lambda: conv_integer(rng, S8, 3, 4, [5, 5], strides=[2, 2]), {'input': [3, 5, 5]},
         'ConvInteger uint8 x, int8 w, stride 2, Cast, Mul'),
        ('matmulinteger_u8', lambda: matmul_integer(rng, U8, 10, 6, True), {'input': [10]}, 'MatMulInteger uint8 a, int8 b with per-column zero points, Cast, Mul'),
        ('matmulinteger_s8', lambda: matmul_integer(rng, S8, 8, 3, False), {'input': [8]}, 'MatMulInteger int8 a, int8 b, Cast, Mul'),
        ('qop_chain_u8', lambda: qop_chain(rng, U8), {'input': [3, 8, 8]},
         'operator form of a CNN: QLinearConv, MaxPool and Flatten on uint8, QLinearConv, QLinearMatMul'),
        ('qop_chain_s8', lambda: qop_chain(rng, S8), {'input': [3, 8, 8]},
         'operator form of a CNN: QLinearConv, MaxPool and Flatten on int8, QLinearConv, QLinearMatMul'),
    ]
    for name, make, shapes, note in ops:
        m = make()
        feeds = {k: rng.standard_normal((2, *s)).astype(np.float32) for k, s in shapes.items()}
        write(name, m, feeds, note, 'operator')


if __name__ == '__main__':
    main()
