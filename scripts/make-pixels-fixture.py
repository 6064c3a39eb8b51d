#!/usr/bin/python3
# Writes test/fixtures/pixels.json: deterministic RGBA images and what PyTorch makes of them —
# torchvision's ToTensor (bytes / 255), an optional centre crop (offsets with Python's round(),
# as torchvision's center_crop), F.interpolate(mode='bilinear', align_corners=False,
# antialias=False) or F.interpolate(mode='nearest'), an optional BT.601 grey
# (0.299 R + 0.587 G + 0.114 B, in float) and Normalize(mean, std).
# Run with Debian's python3 and python3-torch: /usr/bin/python3 scripts/make-pixels-fixture.py
import json
import os

import torch
import torch.nn.functional as F

IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def image(w, h, seed):
    """RGBA bytes, row-major: a deterministic pattern with edges and noise-like texture."""
    data = []
    for y in range(h):
        for x in range(w):
            for c in range(4):
                data.append((x * 37 + y * 101 + c * 53 + x * y * (7 + seed) + (x ^ y) * 13 * seed) % 256)
    return data


def center_crop(w, h, oh, ow):
    """The largest centred region with aspect ow/oh: other side rounded (halves up), offsets as torchvision."""
    cw, ch = w, h
    if w * oh > h * ow:
        cw = min(w, max(1, (2 * h * ow + oh) // (2 * oh)))
    elif w * oh < h * ow:
        ch = min(h, max(1, (2 * w * oh + ow) // (2 * ow)))
    return int(round((w - cw) / 2.0)), int(round((h - ch) / 2.0)), cw, ch


def run(data, w, h, size, resize, crop, channels, mean, std):
    x = torch.tensor(data, dtype=torch.uint8).reshape(h, w, 4).permute(2, 0, 1)[:3].float().div(255).unsqueeze(0)
    if crop == 'center':
        cx, cy, cw, ch = center_crop(w, h, size[0], size[1])
        x = x[:, :, cy:cy + ch, cx:cx + cw]
    if resize == 'bilinear':
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=False, antialias=False)
    else:
        x = F.interpolate(x, size=size, mode='nearest')
    if channels == 1:
        x = 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    m = torch.tensor(mean if isinstance(mean, list) else [mean] * channels).view(1, -1, 1, 1)
    s = torch.tensor(std if isinstance(std, list) else [std] * channels).view(1, -1, 1, 1)
    return ((x - m) / s).flatten().tolist()


CASES = [
    # (w, h, seed, size, resize, crop, channels, mean, std)
    (13, 9, 1, [5, 7], 'bilinear', 'none', 3, *IMAGENET),
    (13, 9, 1, [15, 22], 'bilinear', 'none', 3, *IMAGENET),
    (13, 9, 1, [6, 4], 'nearest', 'none', 3, *IMAGENET),
    (13, 9, 1, [15, 22], 'nearest', 'none', 3, 0.5, 0.5),
    (21, 10, 2, [8, 8], 'bilinear', 'center', 3, *IMAGENET),
    (10, 21, 2, [7, 9], 'bilinear', 'center', 3, *IMAGENET),
    (21, 10, 2, [9, 5], 'nearest', 'center', 3, 0.0, 1.0),
    (17, 12, 3, [11, 6], 'bilinear', 'none', 1, 0.5, 0.25),
    (17, 12, 3, [12, 17], 'bilinear', 'none', 3, *IMAGENET),
    (1, 1, 4, [3, 2], 'bilinear', 'none', 3, 0.0, 1.0),
    (24, 18, 5, [7, 7], 'bilinear', 'center', 1, 0.449, 0.226),
]

cases = []
for (w, h, seed, size, resize, crop, channels, mean, std) in CASES:
    data = image(w, h, seed)
    out = run(data, w, h, size, resize, crop, channels, mean, std)
    cases.append({
        'width': w, 'height': h, 'data': data,
        'options': {'size': size, 'resize': resize, 'crop': crop, 'channels': channels, 'mean': mean, 'std': std},
        'expected': [float('%.8g' % v) for v in out],
    })

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
with open(os.path.join(root, 'test', 'fixtures', 'pixels.json'), 'w') as f:
    json.dump({'generator': 'scripts/make-pixels-fixture.py', 'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
    f.write('\n')
print('wrote test/fixtures/pixels.json:', len(cases), 'cases')
