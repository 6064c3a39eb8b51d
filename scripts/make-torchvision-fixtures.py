#!/usr/bin/python3
"""Exports sixteen torchvision classifiers with random (seeded) weights to ONNX for
test/torchvision.test.ts and bench/torchvision.mjs. Needs Debian's python3-torch 1.13,
python3-torchvision 0.14 and python3-onnx 1.12 (run with /usr/bin/python3); downloads nothing.

    /usr/bin/python3 scripts/make-torchvision-fixtures.py [--out DIR] [--res 224] [--opsets 13,17]
                                                          [--models resnet18,squeezenet1_1]

Each model is built with torch.manual_seed(seed) and weights=None (googlenet and inception_v3 with
aux_logits=False, init_weights=True); every BatchNorm is then given a random weight and bias, every
LayerNorm a random weight and bias and ConvNeXt's layer scales values far from their 1e-6 start
(randomize_norms of make-op-fixtures.py); the BatchNorm running_mean/running_var are then measured
on 4 random images (calibrate: random statistics make deep nets' activations explode); eval mode.
Input: one seeded image [1, 3, res, res] (inception_v3 at least 75, alexnet and vgg11_bn at least
224: see MIN_RES).

Written to DIR (default test-artifacts/torchvision/, git-ignored):
  <arch>.opset<k>.onnx   torch.onnx.export, dynamic batch axis 'N', input 'input', output 'output'
  <arch>.json            the format of test/fixtures/onnx/*.json: 'input', 'output' (PyTorch's float32
                         logits) as base64 little-endian float32, 'output64' (the logits of
                         model.double() on the same input) as base64 little-endian float64, 'opsets'
  index.json             { resolution, opsets, torch, torchvision, onnx, seconds, models: { arch:
                         { file, opsets, inputShape, params (sum of p.numel() over model.parameters()),
                           stateDict (the state_dict's names, in order), exportSeconds, forwardSeconds,
                           failed? } } }
Prints the time the exports took (and the forward passes, separately).
"""
import argparse
import base64
import copy
import importlib.util
import json
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_op_fixtures', os.path.join(HERE, 'make-op-fixtures.py'))
ops_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ops_fixtures)

ARCHS = ['resnet18', 'resnet50', 'alexnet', 'vgg11_bn', 'squeezenet1_1', 'densenet121', 'googlenet', 'inception_v3',
         'mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0', 'regnet_y_400mf',
         'shufflenet_v2_x1_0', 'mnasnet1_0', 'convnext_tiny']
KWARGS = {'googlenet': {'aux_logits': False, 'init_weights': True},
          'inception_v3': {'aux_logits': False, 'init_weights': True}}
# the smallest input each exports at: inception_v3's stem needs 75; AlexNet's and VGG's
# adaptive_avg_pool2d to 6×6 / 7×7 exports only when the feature map is a multiple of that (224)
MIN_RES = {'inception_v3': 75, 'alexnet': 224, 'vgg11_bn': 224}


def b64(a, dtype):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode('ascii')


def calibrate(model, res, seed):
    # res: a side, or (height, width)
    """BatchNorm running statistics measured on 4 random images (cumulative average, train-mode
    forward): without them, random statistics let activations grow layer after layer (inception_v3's
    logits reach 1e11), with them the eval-mode activations stay near unit scale as in a trained net."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return model
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    hw = (res, res) if isinstance(res, int) else tuple(res)
    x = torch.randn(4, 3, *hw, generator=torch.Generator().manual_seed(seed + 2))
    model.train()
    with torch.no_grad():
        model(x)
    return model


def build(arch, seed, res):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None, **KWARGS.get(arch, {}))
    ops_fixtures.randomize_norms(model, seed)  # BN/LN affine parameters, ConvNeXt layer scales
    return calibrate(model, res, seed).eval()


def export_opsets(model, x, path_of, opsets, axes=None):
    """torch.onnx.export of model on x at each opset (input 'input', output 'output', dynamic axes
    `axes`, default the batch), each file checked by onnx; a failed export's file is removed.
    Returns (the opsets done, {opset: the exporter's first line} of those that failed, {opset: seconds})."""
    axes = axes or {0: 'N'}
    seconds, failed, done = {}, {}, []
    for k in opsets:
        path = path_of(k)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                torch.onnx.export(model, x, path, opset_version=k, input_names=['input'], output_names=['output'],
                                  dynamic_axes={'input': axes, 'output': axes})
            onnx.checker.check_model(path)
            done.append(k)
        except Exception as e:
            failed[str(k)] = str(e).split('\n')[0]
            if os.path.exists(path):
                os.remove(path)
        seconds[str(k)] = round(time.perf_counter() - t0, 2)
    return done, failed, seconds


def export_one(arch, res, opsets, out, seed):
    r = max(res, MIN_RES.get(arch, 0))
    model = build(arch, seed, r)
    x = torch.randn(1, 3, r, r, generator=torch.Generator().manual_seed(seed + 1))
    t0 = time.perf_counter()
    with torch.no_grad():
        y = model(x).numpy()
        y64 = copy.deepcopy(model).double()(x.double()).numpy()
    forward = time.perf_counter() - t0
    done, failed, seconds = export_opsets(model, x, lambda k: os.path.join(out, f'{arch}.opset{k}.onnx'), opsets)
    with open(os.path.join(out, f'{arch}.json'), 'w') as f:
        json.dump({
            'model': arch, 'opsets': done, 'note': f'torchvision {arch}, random weights (seed {seed}), eval mode',
            'input': {'name': 'input', 'shape': list(x.shape), 'data': b64(x.numpy(), '<f4')},
            'output': {'name': 'output', 'shape': list(y.shape), 'data': b64(y, '<f4')},
            'output64': {'name': 'output', 'shape': list(y64.shape), 'dtype': 'float64', 'data': b64(y64, '<f8')},
        }, f)
        f.write('\n')
    entry = {
        'file': f'{arch}.json', 'opsets': done, 'inputShape': list(x.shape),
        'params': sum(p.numel() for p in model.parameters()), 'stateDict': list(model.state_dict().keys()),
        'exportSeconds': seconds, 'forwardSeconds': round(forward, 2),
        'maxAbsLogit': float(np.abs(y).max()), 'top1': int(y.argmax()),
        'float32VsFloat64': float(np.abs(y - y64).max() / np.abs(y64).max()),
    }
    if failed:
        entry['failed'] = failed
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(HERE, '..', 'test-artifacts', 'torchvision'))
    ap.add_argument('--res', type=int, default=224)
    ap.add_argument('--opsets', default='13,17')
    ap.add_argument('--models', default=','.join(ARCHS))
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    opsets = [int(k) for k in a.opsets.split(',')]
    archs = [m for m in a.models.split(',') if m]
    unknown = [m for m in archs if m not in ARCHS]
    if unknown:
        sys.exit(f'unknown model(s) {unknown}: choose from {ARCHS}')
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    index_path = os.path.join(a.out, 'index.json')
    index = {'models': {}}
    if os.path.exists(index_path):  # keep entries of models not redone (same resolution only)
        old = json.load(open(index_path))
        if old.get('resolution') == a.res:
            index = old
    index.update({'resolution': a.res, 'opsets': opsets, 'torch': torch.__version__,
                  'torchvision': torchvision.__version__, 'onnx': onnx.__version__})
    total_export = total_forward = 0.0
    t0 = time.perf_counter()
    for i, arch in enumerate(archs):
        e = export_one(arch, a.res, opsets, a.out, a.seed + 10 * ARCHS.index(arch))
        index['models'][arch] = e
        exp = sum(e['exportSeconds'].values())
        total_export += exp
        total_forward += e['forwardSeconds']
        print(f'{arch:20s} {e["params"]:>10d} params  input {e["inputShape"][2]}  export {exp:6.1f} s '
              f'({", ".join(f"opset {k} {v:.1f} s" for k, v in e["exportSeconds"].items())})  forward f32+f64 '
              f'{e["forwardSeconds"]:5.1f} s  max|logit| {e["maxAbsLogit"]:.3g}  f32 vs f64 {e["float32VsFloat64"]:.1e}'
              f'{"  FAILED " + json.dumps(e["failed"]) if "failed" in e else ""}', file=sys.stderr, flush=True)
    index['seconds'] = {'exports': round(total_export, 1), 'forwards': round(total_forward, 1),
                        'total': round(time.perf_counter() - t0, 1)}
    with open(index_path, 'w') as f:
        json.dump(index, f, indent=1)
        f.write('\n')
    size = sum(os.path.getsize(os.path.join(a.out, f)) for f in os.listdir(a.out))
    print(f'{len(archs)} models x {len(opsets)} opsets at {a.res}: exports {total_export:.0f} s, forward passes '
          f'{total_forward:.0f} s, total {time.perf_counter() - t0:.0f} s; {a.out}: {size / 1e6:.0f} MB', file=sys.stderr)


if __name__ == '__main__':
    main()
