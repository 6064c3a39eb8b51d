#!/usr/bin/python3
"""The dense-prediction operator fixtures (test/fixtures/onnx-ops/unet_tiny.*, upsample_zoo.*,
pad_zoo.*): Resize (nearest and linear, scales and sizes, align_corners both ways, scale 1.5),
ConvTranspose and Pad (constant, reflect, edge) as PyTorch 1.13 exports them at opsets 11, 13
and 17, with PyTorch's float32 and float64 outputs. Uses make-op-fixtures.py's export(). Run with
Debian's /usr/bin/python3 (python3-torch, python3-onnx); not run at test time."""
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_op_fixtures', os.path.join(HERE, 'make-op-fixtures.py'))
ops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ops)


def block(cin, cout):
    """Two 3×3 conv + BN + ReLU, the first with reflect padding (a Pad node), the second zero-padded."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, padding_mode='reflect', bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class TinyUNet(nn.Module):
    """Two max-pool levels down; up through a ConvTranspose2d (stride 2) at one level and a bilinear
    nn.Upsample at the other, each followed by a skip concatenation and a conv block."""
    def __init__(self):
        super().__init__()
        self.d1, self.d2, self.mid = block(3, 4), block(4, 8), block(8, 8)
        self.up2 = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.u2 = block(16, 4)
        self.up1 = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
        self.u1 = block(8, 4)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        a = self.d1(x)
        b = self.d2(F.max_pool2d(a, 2))
        m = self.mid(F.max_pool2d(b, 2))
        y = self.u2(torch.cat([self.up2(m), b], 1))
        y = self.u1(torch.cat([self.up1(y), a], 1))
        return self.head(y)


class UpsampleZoo(nn.Module):
    """nearest 2×, nearest to a size, bilinear with align_corners True and False, bilinear 1.5×,
    nearest 0.75× and a ConvTranspose2d with output_padding, dilation and groups; summed after
    resizing back to one size."""
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)
        self.t = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1, dilation=1, groups=2)
        self.t2 = nn.ConvTranspose2d(4, 4, 3, stride=1, padding=2, dilation=2)

    def forward(self, x):
        y = self.c(x)                                                                      # 6 × 8
        a = F.interpolate(y, scale_factor=2, mode='nearest')                               # 12 × 16
        b = F.interpolate(y, size=(12, 16), mode='bilinear', align_corners=True)
        c = F.interpolate(y, size=(12, 16), mode='bilinear', align_corners=False)
        d = nn.Upsample(size=(12, 16), mode='nearest')(F.interpolate(y, scale_factor=1.5, mode='bilinear'))
        e = F.interpolate(F.interpolate(y, scale_factor=0.75, mode='nearest'), size=(12, 16), mode='nearest')
        f = self.t(y)                                                                      # 12 × 16
        g = F.interpolate(self.t2(y), size=(12, 16), mode='nearest')
        return a + b * 0.5 + c + d - e + f + g


class PadZoo(nn.Module):
    """F.pad constant (a non-zero value, and zeros read by a ReLU), reflect (also at width 2), and
    replicate, on images, between convolutions."""
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3), nn.Conv2d(4, 3, 1)

    def forward(self, x):
        y = F.pad(x, (1, 2, 2, 1), mode='constant', value=0.5)
        y = self.c1(F.pad(y, (1, 1, 1, 1), mode='reflect'))
        y = F.relu(F.pad(y, (2, 0, 0, 1)))
        y = self.c2(F.pad(y, (2, 1, 0, 3), mode='replicate'))
        z = F.pad(y[:, :, :2, :2], (1, 1, 1, 1), mode='reflect')
        return self.c3(y[:, :, :4, :4] + z)


class PadChannels(nn.Module):
    """F.pad beyond H and W: zeros, then a constant, on the channels (and W), and reflect and
    replicate of C, H and W together on a 5-D view (F.pad's 3-D modes), between convolutions."""
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv2d(6, 4, 3, padding=1), nn.Conv2d(7, 4, 1), nn.Conv2d(6, 3, 1)

    def forward(self, x):
        y = self.c1(F.pad(x, (0, 0, 0, 0, 1, 2)))                                    # C 3 -> 6, zeros
        y = self.c2(F.pad(y, (1, 1, 0, 0, 2, 1), value=-0.5))                        # C 4 -> 7, W + 2
        z = F.pad(y.unsqueeze(1), (1, 1, 1, 0, 1, 1), mode='reflect').flatten(1, 2)  # [6, H + 1, W + 2]
        w = F.pad(y.unsqueeze(1), (0, 1, 1, 1, 1, 1), mode='replicate').flatten(1, 2)  # [6, H + 2, W + 1]
        return self.c3(z[..., :-1] + w[..., 1:, :])


class ArgmaxSeg(nn.Module):
    """Segmentation heads' last step: the class map argmax over the channels of NCHW scores (keepdim
    both ways), argmin, argmax along the last axis and over pooled [N, C] scores; indices cast to
    float (ArgMax/ArgMin + Cast), flattened and concatenated."""
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 6, 3, padding=1))

    def forward(self, x):
        y = self.body(x)
        parts = [y.argmax(1), y.argmax(1, keepdim=True), y.argmin(1), torch.argmax(y, -1), y.mean((2, 3)).argmax(1, keepdim=True)]
        return torch.cat([p.flatten(1).float() for p in parts], 1)


def top2_gap(model, x):
    """The smallest gap between the best and second-best score any index above picks from: the
    fixture is only a fair test when float32 rounding cannot swap them."""
    with torch.no_grad():
        y = model.body(x).double()
        gaps = []
        for t, d in [(y, 1), (-y, 1), (y, -1), (y.mean((2, 3)), 1)]:
            s = t.sort(d, descending=True).values
            gaps.append((s.select(d, 0) - s.select(d, 1)).min().item())
    return min(gaps)


if __name__ == '__main__':
    torch.manual_seed(400)
    g = torch.Generator().manual_seed(8)
    ops.export('unet_tiny', TinyUNet(), torch.randn(2, 3, 12, 16, generator=g),
               'tiny U-Net: reflect-padded conv blocks, max-pool down, ConvTranspose2d and bilinear Upsample up, skip concats', seed=401)
    ops.export('upsample_zoo', UpsampleZoo(), torch.randn(2, 3, 6, 8, generator=g),
               'Resize nearest (2x, size, 0.75x), linear (align_corners both, 1.5x), ConvTranspose with output_padding, groups, dilation', seed=402)
    ops.export('pad_zoo', PadZoo(), torch.randn(2, 3, 5, 6, generator=g),
               'Pad constant (0.5 and zeros), reflect (also at width 2), edge', seed=403)
    torch.manual_seed(404)
    ops.export('pad_channels', PadChannels(), torch.randn(2, 3, 5, 6, generator=g),
               'Pad beyond H and W: zeros and a constant on C (and W), reflect and edge of C, H, W on a 5-D view (Unsqueeze, Flatten back)', seed=405)
    torch.manual_seed(406)
    seg, xs = ArgmaxSeg(), torch.randn(2, 3, 7, 9, generator=g)
    ops.randomize_norms(seg, 407).eval()
    assert top2_gap(seg, xs) > 1e-4, top2_gap(seg, xs)
    ops.export('argmax_seg', seg, xs, 'ArgMax over C (keepdims 0 and 1), ArgMin over C, ArgMax over W, ArgMax of pooled [N, C]; Cast to float, Flatten, Concat', seed=407)
