#!/usr/bin/python3
"""Builds the ONNX fixtures of test/onnx.test.ts with real tools (Debian's python3-torch 1.13 and
python3-onnx 1.12; run with /usr/bin/python3). Not run at test time; the outputs are committed.

For each small model (fixed seeds, model.eval()) it writes test/fixtures/onnx/<name>.opset<k>.onnx
made by torch.onnx.export at opsets 7, 11 and 13 where the operators allow, and <name>.json with a
fixed float32 input and PyTorch's float32 output (little-endian, base64).

Two operators PyTorch does not emit as themselves are exported through torch.autograd.Function
symbolics (the exporter's documented extension point): LRN (PyTorch traces local_response_norm
into Pad/AveragePool/Pow arithmetic) and Dropout (dropped from eval-mode graphs). Their forward
computes what the ONNX operator means, so the stored output is the ONNX semantics: for odd sizes
the LRN forward is torch.nn.LocalResponseNorm itself; for the even size 4 it is ONNX's window
[c - 1, c + 2] (PyTorch's is [c - 2, c + 1]), written out in numpy.

One fixture, 'handmade', is assembled with onnx.helper for what the exporter never writes
(auto_pad SAME_LOWER, Conv followed by BatchNormalization with both kept, opset-11 Softmax over a
flattened 4-D block, Reshape with 0 and -1, a Constant shape); its reference output is computed
with torch functional ops.
"""
import base64
import io
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')


OPSET = 13  # the opset being exported (read by the Dropout symbolic)


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


def write_io(name, x, y, opsets, note):
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump({
            'model': name, 'opsets': opsets, 'note': note,
            'input': {'name': 'input', 'shape': list(x.shape), 'data': b64(x)},
            'output': {'name': 'output', 'shape': list(y.shape), 'data': b64(y)},
        }, f, indent=1)
        f.write('\n')


def export(name, model, x, opsets, note, dynamic=True, **kw):
    model.eval()
    with torch.no_grad():
        y = model(x).numpy()
    global OPSET
    for k in opsets:
        OPSET = k
        buf = io.BytesIO()
        torch.onnx.export(
            model, x, buf, opset_version=k, input_names=['input'], output_names=['output'],
            dynamic_axes={'input': {0: 'N'}, 'output': {0: 'N'}} if dynamic else None, **kw)
        m = onnx.load_from_string(buf.getvalue())
        onnx.checker.check_model(m)
        onnx.save(m, os.path.join(OUT, f'{name}.opset{k}.onnx'))
    write_io(name, x.numpy(), y, opsets, note)


# ---- operators exported through symbolics -------------------------------------------------------

def lrn_onnx_np(x, size, alpha, beta, k):
    """ONNX LRN: square sum over channels c - floor((size-1)/2) ... c + ceil((size-1)/2)."""
    before, after = (size - 1) // 2, size // 2
    c = x.shape[1]
    sq = x.astype(np.float64) ** 2
    s = np.zeros_like(sq)
    for i in range(c):
        s[:, i] = sq[:, max(0, i - before):min(c, i + after + 1)].sum(axis=1)
    return (x / (k + alpha / size * s) ** beta).astype(np.float32)


def lrn_function(size, alpha, beta, k):
    class LRN(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if size % 2 == 1:  # the same window in PyTorch and ONNX: PyTorch's own module
                return nn.LocalResponseNorm(size, alpha, beta, k)(x.detach())
            return torch.from_numpy(lrn_onnx_np(x.detach().numpy(), size, alpha, beta, k))

        @staticmethod
        def symbolic(g, x):
            return g.op('LRN', x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)
    return LRN


class OnnxLRN(nn.Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.fn = lrn_function(size, alpha, beta, k)

    def forward(self, x):
        return self.fn.apply(x)


class DropoutFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()  # inference

    @staticmethod
    def symbolic(g, x):
        if OPSET < 12:
            return g.op('Dropout', x, ratio_f=0.3)
        return g.op('Dropout', x, g.op('Constant', value_t=torch.tensor(0.3)))


class OnnxDropout(nn.Module):
    def forward(self, x):
        return DropoutFn.apply(x)


# ---- the models ---------------------------------------------------------------------------------

class LeNet5(nn.Module):
    """LeNet-5's layout at reduced width (4 and 8 maps, 32 hidden) to keep the files small."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 5)
        self.c3 = nn.Conv2d(4, 8, 5)
        self.f5 = nn.Linear(8 * 5 * 5, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = x.view(x.size(0), -1)  # exported as Shape/Gather/Unsqueeze/Concat/Reshape
        return self.out(F.relu(self.f5(x)))


class Residual(nn.Module):
    def __init__(self, cin=4, c=8, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.short = nn.Conv2d(cin, c, 1, bias=False)
        self.bns = nn.BatchNorm2d(c)
        self.bn3 = nn.BatchNorm2d(c)  # after the add: no conv to fold into
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = F.relu(y + self.bns(self.short(x)))
        y = self.bn3(y)
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.fc(y)


class Inception(nn.Module):
    def __init__(self, cin=8):
        super().__init__()
        self.b1 = nn.Conv2d(cin, 4, 1)
        self.b2 = nn.Sequential(nn.Conv2d(cin, 4, 1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(cin, 2, 1), nn.ReLU(), nn.Conv2d(2, 3, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(cin, 3, 1))
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        y = F.relu(torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1))
        y = F.max_pool2d(y, 3, stride=2, ceil_mode=True)
        y = F.adaptive_avg_pool2d(y, 1)
        return self.fc(torch.flatten(y, 1))


class NormPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.lrn5 = OnnxLRN(5, alpha=0.5, beta=0.75, k=2.0)
        self.lrn4 = OnnxLRN(4, alpha=2.0, beta=0.6, k=1.0)
        self.avg1 = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
        self.max1 = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.avg2 = nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False)
        self.drop = OnnxDropout()
        self.fc = nn.Linear(6 * 3 * 3, 7)

    def forward(self, x):
        y = self.bn(F.relu(self.conv(x)))  # batch norm after the ReLU: a BatchNorm2d layer
        y = self.lrn4(self.lrn5(y))
        y = self.avg2(self.max1(self.avg1(y)))
        y = self.drop(torch.flatten(y, 1))
        return F.log_softmax(self.fc(y), dim=1)


class Lrn(nn.Module):
    """LRN alone, with a large alpha so that the even-size windows (ONNX's vs PyTorch's) differ clearly."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 6, 1)
        self.lrn5 = OnnxLRN(5, alpha=0.5, beta=0.75, k=2.0)
        self.lrn4 = OnnxLRN(4, alpha=2.0, beta=0.6, k=1.0)

    def forward(self, x):
        return self.lrn4(self.lrn5(self.conv(x)))


class CeilPool(nn.Module):
    """Ceil-mode pooling whose last window would start in the padding (PyTorch drops it)."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        self.max = nn.MaxPool2d(2, 2, 1, ceil_mode=True)
        self.avg1 = nn.AvgPool2d(2, 2, 1, ceil_mode=True, count_include_pad=False)
        self.avg2 = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=True)

    def forward(self, x):
        return self.avg2(self.avg1(self.max(self.conv(x))))  # 9 -> 5 (drop) -> 3 (drop) -> 2


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3, self.l4 = nn.Linear(10, 16), nn.Linear(16, 12), nn.Linear(12, 8), nn.Linear(8, 6)

    def forward(self, x):
        y = F.leaky_relu(self.l1(x), 0.2)
        y = torch.sigmoid(self.l2(y))
        y = torch.tanh(self.l3(y))
        return F.softmax(self.l4(y), dim=1)


class ConvMix(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 2, 0, 1))  # left, right, top, bottom
        self.c1 = nn.Conv2d(3, 4, 3)
        self.c2 = nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2)
        self.c3 = nn.Conv2d(6, 6, 3, stride=2, groups=3)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        y = F.relu(self.c1(self.pad(x)))
        y = F.relu(self.c2(y))
        y = self.c3(F.pad(y, (0, 1, 1, 0)))
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.fc(y)


class Dense(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(5, 7) * 0.4)
        self.b1 = nn.Parameter(torch.randn(7) * 0.1)
        self.w2 = nn.Parameter(torch.randn(7, 6) * 0.4)
        self.b2 = nn.Parameter(torch.randn(6) * 0.1)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        y = F.relu(torch.addmm(self.b1, x, self.w1, beta=0.5, alpha=2.0))  # Gemm, alpha/beta, B not transposed
        y = F.relu(torch.matmul(y, self.w2) + self.b2)  # MatMul + Add
        return self.fc(y)  # Gemm transB = 1


class Softmax4d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = F.softmax(self.conv(x), dim=1)  # over channels
        return F.log_softmax(y, dim=-1)  # over the last axis


# ---- a hand-assembled model (onnx.helper) -------------------------------------------------------

def handmade():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, 4).astype(np.float32)
    beta = rng.standard_normal(4).astype(np.float32) * 0.1
    mean = rng.standard_normal(4).astype(np.float32) * 0.1
    var = rng.uniform(0.5, 2, 4).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [(w, 'W'), (gamma, 'gamma'), (beta, 'beta'), (mean, 'mean'), (var, 'var')]]
    shape_t = helper.make_tensor('shape', TensorProto.INT64, [3], [0, 4, -1])
    nodes = [
        helper.make_node('Conv', ['input', 'W'], ['conv'], auto_pad='SAME_LOWER', strides=[2, 2], kernel_shape=[3, 3]),
        helper.make_node('BatchNormalization', ['conv', 'gamma', 'beta', 'mean', 'var'], ['bn'], epsilon=1e-3),
        helper.make_node('Softmax', ['bn'], ['sm'], axis=1),  # opset 11: over the flattened C·H·W block
        helper.make_node('Constant', [], ['shape_c'], value=shape_t),
        helper.make_node('Reshape', ['sm', 'shape_c'], ['flat']),
        helper.make_node('Identity', ['flat'], ['output']),
    ]
    g = helper.make_graph(nodes, 'handmade', [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', 3, 8, 8])],
                          [helper.make_tensor_value_info('output', TensorProto.FLOAT, ['N', 4, 16])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 11)], producer_name='onnx.helper')
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'handmade.opset11.onnx'))
    t = torch.from_numpy
    # SAME_LOWER, stride 2 on 8: output 4, total padding 1, which SAME_LOWER puts before (top/left)
    y = F.conv2d(F.pad(t(x), (1, 0, 1, 0)), t(w), stride=2)
    y = F.batch_norm(y, t(mean), t(var), t(gamma), t(beta), eps=1e-3)
    y = F.softmax(y.reshape(2, -1), dim=1).reshape(2, 4, -1)
    write_io('handmade', x, y.numpy(), [11], 'onnx.helper: SAME_LOWER conv, Conv+BatchNormalization, opset-11 softmax over a flattened block, Reshape [0, 4, -1] from a Constant, Identity')


def refused():
    """Files PyTorch exports that the importer refuses (test/onnx.test.ts checks the messages)."""
    d = os.path.join(OUT, 'refused')
    os.makedirs(d, exist_ok=True)

    def save(name, model, x, k):
        buf = io.BytesIO()
        torch.onnx.export(model.eval(), x, buf, opset_version=k, input_names=['input'], output_names=['output'])
        onnx.save(onnx.load_from_string(buf.getvalue()), os.path.join(d, f'{name}.opset{k}.onnx'))

    torch.manual_seed(9)
    # PyTorch traces local_response_norm into arithmetic on activations (Mul, Pow, Div ...)
    save('lrn_traced', nn.LocalResponseNorm(3), torch.randn(1, 4, 3, 3), 13)
    save('upsample', nn.Upsample(scale_factor=2), torch.randn(1, 2, 3, 3), 13)
    # before opset 13 the exporter transposes to move the softmax axis last
    save('softmax_dim1', nn.Softmax(dim=1), torch.randn(1, 3, 2, 2), 11)
    # ceil mode + counted padding, last window in the padding: the exporter writes Pad + AveragePool
    # whose ONNX meaning has one more window than PyTorch computes
    save('avgpool_ceil_counted', nn.AvgPool2d(2, 2, 1, ceil_mode=True, count_include_pad=True), torch.randn(1, 1, 5, 5), 13)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    rnd = lambda *s: torch.randn(*s, generator=g)
    export('lenet5', LeNet5(), rnd(2, 1, 32, 32), [7, 11, 13], 'conv 5x5, max pool, relu, view(N, -1), linear')

    torch.manual_seed(1)
    res = Residual()
    for bn in (res.bn1, res.bn2, res.bns, res.bn3):  # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.3, 0.3)
    xr = rnd(2, 4, 8, 8)
    export('residual', res, xr, [7, 11, 13], 'conv+BN+relu, add shortcut; eval export (PyTorch folds conv+BN itself)')
    export('residual_bn', res, xr, [7, 11, 13], 'the same block exported with training=PRESERVE: BatchNormalization nodes kept',
           training=torch.onnx.TrainingMode.PRESERVE)

    torch.manual_seed(2)
    export('inception', Inception(), rnd(1, 8, 10, 10), [7, 11, 13], '1x1/3x3/5x5/maxpool branches, concat; static batch 1',
           dynamic=False)

    torch.manual_seed(3)
    npool = NormPool()
    npool.bn.running_mean.uniform_(0, 0.5)
    npool.bn.running_var.uniform_(0.5, 2.0)
    npool.fc.weight.data *= 8  # make the output sensitive to everything before it
    export('normpool', npool, rnd(2, 3, 15, 15), [7, 11, 13],
           'BN after relu, LRN 5 and 4, avg pool ceil+count_include_pad, max pool ceil, avg pool ceil exclude-pad, dropout, log-softmax')

    torch.manual_seed(10)
    export('lrn', Lrn(), rnd(2, 6, 3, 3), [7, 11, 13], 'LRN size 5 and size 4 (ONNX window [c - 1, c + 2]) with a large alpha')

    torch.manual_seed(8)
    export('ceilpool', CeilPool(), rnd(2, 2, 9, 9), [7, 11, 13], 'ceil-mode max and average pooling whose last window would start in the padding')

    torch.manual_seed(4)
    export('activations', Activations(), rnd(3, 10), [7, 11, 13], 'linear (Gemm), leaky relu, sigmoid, tanh, softmax')

    torch.manual_seed(5)
    export('convmix', ConvMix(), rnd(2, 3, 12, 12), [7, 11, 13], 'ZeroPad2d/F.pad folded into convs, grouped, dilated, strided, global avg pool')

    torch.manual_seed(6)
    export('dense', Dense(), rnd(4, 5), [7, 11, 13], 'Gemm with alpha/beta and B not transposed, MatMul + Add, Gemm transB')

    torch.manual_seed(7)
    export('softmax4d', Softmax4d(), rnd(2, 3, 4, 5), [13], 'softmax over channels and log-softmax over the last axis of 4-D tensors (opset 13 only: earlier exports transpose)')

    handmade()
    refused()
    files = [os.path.join(r, f) for r, _, fs in os.walk(OUT) for f in fs]
    print(f'wrote {len(files)} files, {sum(map(os.path.getsize, files))} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
