#!/usr/bin/python3
"""Exports torchvision's three segmenters (fcn_resnet50, deeplabv3_mobilenet_v3_large,
lraspp_mobilenet_v3_large) with random (seeded) weights to ONNX for test/segmenters.test.ts and
bench/segmenters.mjs, and the networks of the small committed fixtures unet_tiny (make-dense-fixtures.py)
and pixel_shuffle (make-pixelshuffle-fixture.py) at the same image sizes for the benchmark. Needs Debian's python3-torch 1.13, python3-torchvision 0.14 and python3-onnx
1.12 (run with /usr/bin/python3); downloads nothing.

    /usr/bin/python3 scripts/make-segmenter-fixtures.py [--out DIR] [--sizes 224x224,160x224]
                                                        [--opsets 11,13,17] [--models fcn_resnet50]

Each model is built with torch.manual_seed(seed), weights=None, weights_backbone=None,
aux_loss=False, and wrapped to return out['out'] (unet_tiny and pixel_shuffle: their fixture scripts' classes) (the models return a dict); every BatchNorm gets a
random weight and bias (make-op-fixtures.py's randomize_norms), then running statistics measured on
4 random images at the first size (make-torchvision-fixtures.py's calibrate); eval mode. The same
weights serve every size. Input: one seeded image [1, 3, H, W] per size.

Written to DIR (default test-artifacts/segmenters/, git-ignored):
  <arch>.<H>x<W>.opset<k>.onnx  torch.onnx.export, dynamic batch axis 'N', input 'input', output
                                'output' ([N, 21, H, W] class scores; the final bilinear Resize
                                takes its sizes from Shape nodes of the input)
  <arch>.dynamic.opset<k>.onnx  the MobileNet segmenters again with H and W dynamic too (--dynamic: the
                                input stored in <arch>.dynamic.json is 97x131 by default)
  <arch>.<H>x<W>.json           'input', 'output' (PyTorch's float32 scores) as base64 little-endian
                                float32, 'output64' (model.double() on the same input, float64), 'opsets'
  index.json                    { sizes, opsets, torch, torchvision, onnx, models: { arch: { params,
                                sizes: { HxW: { file, opsets, inputShape, exportSeconds, forwardSeconds,
                                maxAbs, float32VsFloat64, argmaxAgreement32vs64, failed? }, dynamic?: … } } } }
"""
import argparse
import copy
import importlib.util
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


tv = _load('make_torchvision_fixtures', 'make-torchvision-fixtures.py')
ops_fixtures = tv.ops_fixtures
dense = _load('make_dense_fixtures', 'make-dense-fixtures.py')
shuffle = _load('make_pixelshuffle_fixture', 'make-pixelshuffle-fixture.py')

SEGMENTERS = ['fcn_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large']
# the committed small fixtures' networks (test/fixtures/onnx-ops/unet_tiny.*, pixel_shuffle.*), here
# exported at the benchmark's image sizes for bench/segmenters.mjs
EXTRAS = {'unet_tiny': dense.TinyUNet, 'pixel_shuffle': shuffle.PixelShuffleNet}
ARCHS = SEGMENTERS + list(EXTRAS)
# exported once more with H and W dynamic (the Resize sizes then come from Shape nodes that only the
# importer's given input shape resolves), with PyTorch's output at an odd size
DYNAMIC = ['deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large']
DYNAMIC_SIZE = '97x131'


class OutOnly(torch.nn.Module):
    """The segmenters return {'out': scores} (and 'aux' when aux_loss): ONNX gets the scores alone."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)['out']


def build(arch, seed, calib_hw):
    torch.manual_seed(seed)
    if arch in EXTRAS:
        model = EXTRAS[arch]()
    else:
        kwargs = {'weights': None, 'weights_backbone': None}
        if arch != 'lraspp_mobilenet_v3_large':  # LR-ASPP has no auxiliary head (and no aux_loss argument)
            kwargs['aux_loss'] = False
        model = getattr(torchvision.models.segmentation, arch)(**kwargs)
    ops_fixtures.randomize_norms(model, seed)
    tv.calibrate(model, calib_hw, seed)  # running statistics on 4 random images, as the classifiers'
    return (model if arch in EXTRAS else OutOnly(model)).eval()


def export_size(arch, model, hw, opsets, out, seed, dynamic=False):
    h, w = hw
    tag = 'dynamic' if dynamic else f'{h}x{w}'
    axes = {0: 'N', 2: 'H', 3: 'W'} if dynamic else {0: 'N'}
    x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(seed + 1 + h * 1000 + w))
    t0 = time.perf_counter()
    with torch.no_grad():
        y = model(x).numpy()
        y64 = copy.deepcopy(model).double()(x.double()).numpy()
    forward = time.perf_counter() - t0
    done, failed, seconds = tv.export_opsets(model, x, lambda k: os.path.join(out, f'{arch}.{tag}.opset{k}.onnx'), opsets, axes)
    with open(os.path.join(out, f'{arch}.{tag}.json'), 'w') as f:
        json.dump({
            'model': arch, 'opsets': done,
            'note': f'{arch}, random weights (seed {seed}), eval mode, {h}x{w}' + (' (H and W dynamic in the file)' if dynamic else ''),
            'input': {'name': 'input', 'shape': list(x.shape), 'data': tv.b64(x.numpy(), '<f4')},
            'output': {'name': 'output', 'shape': list(y.shape), 'data': tv.b64(y, '<f4')},
            'output64': {'name': 'output', 'shape': list(y64.shape), 'dtype': 'float64', 'data': tv.b64(y64, '<f8')},
        }, f)
        f.write('\n')
    entry = {
        'file': f'{arch}.{tag}.json', 'opsets': done, 'inputShape': list(x.shape),
        'exportSeconds': seconds, 'forwardSeconds': round(forward, 2),
        'maxAbs': float(np.abs(y).max()),
        'float32VsFloat64': float(np.abs(y - y64).max() / np.abs(y64).max()),
        'argmaxAgreement32vs64': float((y.argmax(1) == y64.argmax(1)).mean()),
    }
    if failed:
        entry['failed'] = failed
    return entry


def parse_sizes(s):
    sizes = []
    for part in s.split(','):
        h, _, w = part.partition('x')
        sizes.append((int(h), int(w or h)))
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(HERE, '..', 'test-artifacts', 'segmenters'))
    ap.add_argument('--sizes', default='224x224,160x224')
    ap.add_argument('--opsets', default='11,13,17')
    ap.add_argument('--models', default=','.join(ARCHS))
    ap.add_argument('--dynamic', default=DYNAMIC_SIZE, help='HxW of the input stored with the dynamic-size exports '
                    '(<arch>.dynamic.*, the MobileNet segmenters only); "" for none')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    opsets = [int(k) for k in a.opsets.split(',')]
    sizes = parse_sizes(a.sizes)
    archs = [m for m in a.models.split(',') if m]
    unknown = [m for m in archs if m not in ARCHS]
    if unknown:
        sys.exit(f'unknown model(s) {unknown}: choose from {ARCHS}')
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    index_path = os.path.join(a.out, 'index.json')
    index = json.load(open(index_path)) if os.path.exists(index_path) else {'models': {}}
    index.update({'opsets': opsets, 'torch': torch.__version__, 'torchvision': torchvision.__version__,
                  'onnx': onnx.__version__})
    index['sizes'] = sorted(set(index.get('sizes', [])) | {f'{h}x{w}' for h, w in sizes})
    t0 = time.perf_counter()
    for arch in archs:
        seed = a.seed + 100 + 10 * ARCHS.index(arch)
        model = build(arch, seed, sizes[0])
        entry = index['models'].setdefault(arch, {'sizes': {}})
        entry['params'] = sum(p.numel() for p in model.parameters())
        for hw in sizes:
            e = export_size(arch, model, hw, opsets, a.out, seed)
            entry['sizes'][f'{hw[0]}x{hw[1]}'] = e
            print(f'{arch:30s} {hw[0]}x{hw[1]}  {entry["params"]:>9d} params  export '
                  f'{sum(e["exportSeconds"].values()):6.1f} s  forward f32+f64 {e["forwardSeconds"]:5.1f} s  '
                  f'max|y| {e["maxAbs"]:.3g}  f32 vs f64 {e["float32VsFloat64"]:.1e} (argmax agree '
                  f'{100 * e["argmaxAgreement32vs64"]:.3f} %)'
                  f'{"  FAILED " + json.dumps(e["failed"]) if "failed" in e else ""}', file=sys.stderr, flush=True)
        if a.dynamic and arch in DYNAMIC:
            e = export_size(arch, model, parse_sizes(a.dynamic)[0], opsets, a.out, seed, dynamic=True)
            entry['sizes']['dynamic'] = e
            print(f'{arch:30s} dynamic H, W (input {a.dynamic})  export {sum(e["exportSeconds"].values()):6.1f} s'
                  f'{"  FAILED " + json.dumps(e["failed"]) if "failed" in e else ""}', file=sys.stderr, flush=True)
    index['seconds'] = round(time.perf_counter() - t0, 1)
    with open(index_path, 'w') as f:
        json.dump(index, f, indent=1)
        f.write('\n')
    print(f'{len(archs)} models x {len(sizes)} sizes x {len(opsets)} opsets: {time.perf_counter() - t0:.0f} s', file=sys.stderr)


if __name__ == '__main__':
    main()
