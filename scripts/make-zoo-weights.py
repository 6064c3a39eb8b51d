#!/usr/bin/python3
"""State_dict names and random weights of the torchvision classifiers that src/models builds, for
test/zoo-deployed.test.ts. Needs Debian's python3-torch 1.13 and python3-torchvision 0.14 (run with
/usr/bin/python3); downloads nothing.

    /usr/bin/python3 scripts/make-zoo-weights.py [--keys test/fixtures/torchvision-keys.json]
                                                 [--out test-artifacts/zoo-weights] [--res 96]
                                                 [--models mobilenet_v2,...] [--no-weights]

Writes
  --keys  (committed) { torch, torchvision, models: { arch: { params (sum of p.numel() over
          model.parameters()), keys: [[name, shape], ...] } } }: the state_dict in order, without
          BatchNorm's num_batches_tracked.
  --out   (git-ignored) <arch>.bin: every state_dict tensor (same order, same exclusion) as
          little-endian float32, then the input [1, 3, res, res], then PyTorch's float32 logits
          [1, 1000]; index.json { resolution, models: { arch: { file, tensors: [[name, shape,
          offset]], input: [offset, shape], logits: [offset, shape], params, maxAbsLogit } } }
          (offsets in float32 elements).
The weights are make-torchvision-fixtures.py's (seeded init, randomized norms and layer scales,
BatchNorm statistics measured on random images, eval mode), at the resolution given.
"""
import argparse
import importlib.util
import json
import os

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('tv_fixtures', os.path.join(HERE, 'make-torchvision-fixtures.py'))
tv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tv)

ARCHS = ['mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0', 'shufflenet_v2_x1_0',
         'squeezenet1_1', 'convnext_tiny']


def entries(model):
    return [(k, v) for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keys', default=os.path.join(HERE, '..', 'test', 'fixtures', 'torchvision-keys.json'))
    ap.add_argument('--out', default=os.path.join(HERE, '..', 'test-artifacts', 'zoo-weights'))
    ap.add_argument('--res', type=int, default=96)
    ap.add_argument('--models', default=','.join(ARCHS))
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--no-weights', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(1)
    archs = [m for m in a.models.split(',') if m]
    keys = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'models': {}}
    index = {'resolution': a.res, 'torch': torch.__version__, 'torchvision': torchvision.__version__, 'models': {}}
    if not a.no_weights:
        os.makedirs(a.out, exist_ok=True)
    for i, arch in enumerate(archs):
        seed = a.seed + 10 * i
        if a.no_weights:
            torch.manual_seed(seed)
            model = getattr(torchvision.models, arch)(weights=None)
        else:
            model = tv.build(arch, seed, a.res)
        params = sum(p.numel() for p in model.parameters())
        sd = entries(model)
        keys['models'][arch] = {'params': params, 'keys': [[k, list(v.shape)] for k, v in sd]}
        print(f'{arch:20s} {params:>10d} params  {len(sd)} tensors', flush=True)
        if a.no_weights:
            continue
        x = torch.randn(1, 3, a.res, a.res, generator=torch.Generator().manual_seed(seed + 1))
        with torch.no_grad():
            y = model(x)
        parts, tensors, off = [], [], 0
        for k, v in sd:
            parts.append(v.detach().float().numpy().ravel())
            tensors.append([k, list(v.shape), off])
            off += v.numel()
        parts += [x.numpy().ravel(), y.numpy().ravel()]
        np.concatenate(parts).astype('<f4').tofile(os.path.join(a.out, f'{arch}.bin'))
        index['models'][arch] = {'file': f'{arch}.bin', 'tensors': tensors, 'input': [off, list(x.shape)],
                                 'logits': [off + x.numel(), list(y.shape)], 'params': params,
                                 'maxAbsLogit': float(y.abs().max())}
    with open(a.keys, 'w') as f:
        json.dump(keys, f, separators=(',', ':'))
        f.write('\n')
    if not a.no_weights:
        with open(os.path.join(a.out, 'index.json'), 'w') as f:
            json.dump(index, f)
            f.write('\n')


if __name__ == '__main__':
    main()
