#!/usr/bin/python3
"""The pixel-shuffle network fixtures (test/fixtures/onnx-ops/pixel_shuffle.* and pixel_unshuffle.*),
exported by PyTorch 1.13 at opsets 11, 13 and 17 with PyTorch's float32 and float64 outputs:
- pixel_shuffle: a sub-pixel upsampling net (conv + BN + ReLU, a conv to C·r² channels,
  nn.PixelShuffle(2), a conv): DepthToSpace in CRD mode;
- pixel_unshuffle: nn.PixelUnshuffle(2) and (3) (PyTorch writes pixel_unshuffle as Reshape → Transpose
  [0,1,3,5,2,4] → Reshape at every opset), convs between, and a PixelShuffle(2) back up.
Uses make-op-fixtures.py's export(). Run with Debian's /usr/bin/python3 (python3-torch,
python3-onnx); not run at test time."""
import importlib.util
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_op_fixtures', os.path.join(HERE, 'make-op-fixtures.py'))
ops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ops)


class PixelShuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.up = nn.Conv2d(8, 4 * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.tail = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, x):
        return self.tail(self.shuffle(self.up(self.body(x))))


class PixelUnshuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down2 = nn.PixelUnshuffle(2)
        self.body = nn.Sequential(nn.Conv2d(12, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.down3 = nn.PixelUnshuffle(3)
        self.mid = nn.Conv2d(72, 16, 1)
        self.up = nn.PixelShuffle(2)
        self.tail = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, x):
        return self.tail(self.up(self.mid(self.down3(self.body(self.down2(x))))))


if __name__ == '__main__':
    torch.manual_seed(300)
    g = torch.Generator().manual_seed(7)
    ops.export('pixel_shuffle', PixelShuffleNet(), torch.randn(2, 3, 5, 6, generator=g),
               'sub-pixel upsampling: conv+BN+ReLU, conv to 16 channels, PixelShuffle(2) (DepthToSpace CRD), conv', seed=301)
    torch.manual_seed(302)
    ops.export('pixel_unshuffle', PixelUnshuffleNet(), torch.randn(2, 3, 12, 18, generator=g),
               'PixelUnshuffle(2) and (3) (Reshape/Transpose/Reshape), conv+BN+ReLU, 1x1 conv, PixelShuffle(2) (DepthToSpace CRD), conv', seed=303)
