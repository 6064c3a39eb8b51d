#!/usr/bin/python3
"""Float32 rounding error of Winograd F(m×m, 3×3) variants, by emulation (numpy float32, every
operation rounded as the wasm kernels round it) against a float64 direct convolution: the study
behind the transforms of assembly/conv2d-winograd-common.ts (bench/README.md, "Winograd accuracy").

    /usr/bin/python3 scripts/winograd-points.py            the variant table
    /usr/bin/python3 scripts/winograd-points.py --search   symmetric point sets {0, ±a, ±b} for F(4, 3)

Transforms by Toom–Cook with the point ∞ for any finite points (exact rationals, sympy), rows of Bᵀ
and columns of Aᵀ scaled to integers (the scale moved into G, which is rounded once from float64).
The input and output transforms are plain sequential float32 sums of each row's terms (the kernels
factor them; the ranking of the variants is the same). The transformed-domain sum over channels is
cut into slices (each summed from zero, then added to the running sum, as the GEMM does with its
256-deep K chunks and conv2d_winograd_gemm_f32_simd with its slices). Error: rms(Δ) ÷ rms(y) and
max |Δ| ÷ max |y| over 16 output channels of a 12×12 image, padding 1, 2 seeds.
"""
import itertools
import sys

import numpy as np
import sympy as sp

f32 = np.float32
R = sp.Rational


def construct(points, m):
    """Aᵀ (m×α), G (α×3), Bᵀ (α×α) of F(m, 3) on the finite points and ∞, scaled to integer Bᵀ, Aᵀ."""
    a = m + 2
    P = [sp.Rational(p) for p in points]
    x = sp.Symbol('x')
    Mx = sp.prod([(x - p) for p in P])
    AT, G, BT = sp.zeros(m, a), sp.zeros(a, 3), sp.zeros(a, a)
    for i, p in enumerate(P):
        for j in range(m):
            AT[j, i] = p ** j
        N = sp.prod([(p - q) for k, q in enumerate(P) if k != i])
        for k in range(3):
            G[i, k] = p ** k / N
        for l, c in enumerate(sp.Poly(sp.expand(Mx / (x - p)), x).all_coeffs()[::-1]):
            BT[i, l] = c
    AT[m - 1, a - 1] = 1
    G[a - 1, 2] = 1
    for l, c in enumerate(sp.Poly(Mx, x).all_coeffs()[::-1]):
        BT[a - 1, l] = c

    def integer_scale(vals):
        vals = [v for v in vals if v != 0]
        den = sp.ilcm(1, 1, *[sp.fraction(v)[1] for v in vals])
        return sp.Rational(den, sp.igcd(0, 0, *[sp.fraction(v * den)[0] for v in vals]))

    for i in range(a):
        s = integer_scale(list(BT[i, :]))
        BT[i, :] *= s
        G[i, :] /= s
        s = integer_scale(list(AT[:, i]))
        AT[:, i] *= s
        G[i, :] /= s
    return [np.array(M.tolist(), dtype=np.float64) for M in (AT, G, BT)]


def apply32(M, v, axis):
    """M along `axis` of v in float32: each output the sequential sum of its nonzero terms."""
    v = np.moveaxis(v, axis, 0)
    out = []
    for row in M:
        s = None
        for c, vj in zip(row, v):
            if c == 0:
                continue
            t = vj if c == 1 else (-vj if c == -1 else (f32(c) * vj).astype(f32))
            s = t if s is None else (s + t).astype(f32)
        out.append(s)
    return np.moveaxis(np.stack(out).astype(f32), 0, axis)


def winograd32(x, w, m, mats, slice_=256, offset=False, filter32=False):
    AT, G, BT = mats
    a = m + 2
    C, H, W = x.shape
    ty, tx = -(-H // m), -(-W // m)
    xp = np.zeros((C, ty * m + 2, tx * m + 2), f32)
    xp[:, 1:1 + H, 1:1 + W] = x
    d = np.stack([xp[:, i * m:i * m + a, j * m:j * m + a] for i in range(ty) for j in range(tx)], 1)
    if offset:  # subtract each tile's mean, add its product with the filter sums back at the end
        mu = d.mean(axis=(2, 3), keepdims=True).astype(f32)
        d = (d - mu).astype(f32)
    V = apply32(BT, apply32(BT, d, 2), 3)
    U = apply32(G, apply32(G, w, 2), 3) if filter32 else np.einsum('ik,ockl,jl->ocij', G, w.astype(np.float64), G).astype(f32)
    n = -(-C // slice_)
    kc = -(-C // n)
    M = None
    for k0 in range(0, C, kc):
        acc = np.zeros((w.shape[0],) + V.shape[1:], f32)
        for c in range(k0, min(C, k0 + kc)):
            acc = (acc + (U[:, c][:, None] * V[c][None]).astype(f32)).astype(f32)
        M = acc if M is None else (M + acc).astype(f32)
    Y = apply32(AT, apply32(AT, M, 2), 3)
    if offset:
        Y = (Y + np.einsum('oc,ct->ot', w.sum(axis=(2, 3), dtype=np.float64), mu[:, :, 0, 0]).astype(f32)[:, :, None, None]).astype(f32)
    y = np.zeros((w.shape[0], ty * m, tx * m))
    for t in range(Y.shape[1]):
        i, j = divmod(t, tx)
        y[:, i * m:(i + 1) * m, j * m:(j + 1) * m] = Y[:, t]
    return y[:, :H, :W]


def direct64(x, w):
    C, H, W = x.shape
    xp = np.zeros((C, H + 2, W + 2))
    xp[:, 1:1 + H, 1:1 + W] = x
    return sum(np.einsum('oc,chw->ohw', w[:, :, i, j].astype(np.float64), xp[:, i:i + H, j:j + W]) for i in range(3) for j in range(3))


def direct32(x, w):
    """The GEMM path: the K = 9·C reduction in float32, in chunks of ≤ 256 (each from zero, then added)."""
    C, H, W = x.shape
    xp = np.zeros((C, H + 2, W + 2), f32)
    xp[:, 1:1 + H, 1:1 + W] = x
    cols = np.stack([xp[:, i:i + H, j:j + W] for i in range(3) for j in range(3)], 1).reshape(9 * C, H, W)
    wk = w.reshape(w.shape[0], 9 * C)
    kc = -(-9 * C // -(-9 * C // 256))
    y = None
    for k0 in range(0, 9 * C, kc):
        acc = np.zeros((w.shape[0], H, W), f32)
        for k in range(k0, min(9 * C, k0 + kc)):
            acc = (acc + (wk[:, k][:, None, None] * cols[k][None]).astype(f32)).astype(f32)
        y = acc if y is None else (y + acc).astype(f32)
    return y


def data(kind, C, seed):
    rng = np.random.default_rng(seed)
    if kind == 'uniform':
        x, w = rng.uniform(-1, 1, (C, 12, 12)), rng.uniform(-1, 1, (16, C, 3, 3))
    else:  # post-ReLU activations, zero-mean weights
        x, w = np.maximum(0, rng.normal(0, 1, (C, 12, 12))), rng.normal(0, 1 / np.sqrt(9 * C), (16, C, 3, 3))
    return x.astype(f32), w.astype(f32)


def error(m, mats, C, kind, **kw):
    rms, mx = [], []
    for seed in (1, 2):
        x, w = data(kind, C, seed)
        r = direct64(x, w)
        y = direct32(x, w) if m == 0 else winograd32(x, w, m, mats, **kw)
        rms.append(np.sqrt(((y - r) ** 2).mean() / (r ** 2).mean()))
        mx.append(np.abs(y - r).max() / np.abs(r).max())
    return np.mean(rms), max(mx)


VARIANTS = [
    ('GEMM path (direct convolution in float32)', 0, None, {}),
    ('F(2×2): 0, ±1; one sum (256-deep chunks)', 2, [0, 1, -1], {}),
    ('F(2×2): 0, ±1; slices of 32', 2, [0, 1, -1], {'slice_': 32}),
    ('F(4×4): 0, ±1, ±2 (Lavin); one sum', 4, [0, 1, -1, 2, -2], {}),
    ('F(4×4): 0, ±1, ±2; filter transform in float32', 4, [0, 1, -1, 2, -2], {'filter32': True}),
    ('F(4×4): 0, ±1, ±2; per-tile mean offset', 4, [0, 1, -1, 2, -2], {'offset': True}),
    ('F(4×4): 0, ±1, ±2; slices of 32', 4, [0, 1, -1, 2, -2], {'slice_': 32}),
    ('F(4×4): 0, ±1, ±½', 4, [0, 1, -1, R(1, 2), -R(1, 2)], {}),
    ('F(4×4): 0, −1, 1, ½, −2 (Barabasz et al.)', 4, [0, -1, 1, R(1, 2), -2], {}),
    ('F(4×4): 0, ±2/3, ±3/2; one sum', 4, [0, R(2, 3), -R(2, 3), R(3, 2), -R(3, 2)], {}),
    ('F(4×4): 0, ±2/3, ±3/2; slices of 32 and per-tile mean offset', 4, [0, R(2, 3), -R(2, 3), R(3, 2), -R(3, 2)], {'offset': True, 'slice_': 32}),
    ('F(4×4): 0, ±2/3, ±3/2; slices of 64', 4, [0, R(2, 3), -R(2, 3), R(3, 2), -R(3, 2)], {'slice_': 64}),
    ('F(4×4): 0, ±2/3, ±3/2; slices of 32 (simdnet)', 4, [0, R(2, 3), -R(2, 3), R(3, 2), -R(3, 2)], {'slice_': 32}),
    ('F(4×4): 0, ±2/3, ±3/2; slices of 8', 4, [0, R(2, 3), -R(2, 3), R(3, 2), -R(3, 2)], {'slice_': 8}),
    ('F(6×6): 0, ±1, ±2, ±½; one sum', 6, [0, 1, -1, 2, -2, R(1, 2), -R(1, 2)], {}),
    ('F(6×6): 0, ±1, ±2, ±½; slices of 32 (simdnet)', 6, [0, 1, -1, 2, -2, R(1, 2), -R(1, 2)], {'slice_': 32}),
]


def main():
    if '--search' in sys.argv:
        mags = [R(1, 4), R(1, 3), R(1, 2), R(3, 5), R(2, 3), R(3, 4), 1, R(4, 3), R(3, 2), R(5, 3), 2, R(5, 2), 3, 4]
        res = []
        for p, q in itertools.combinations(mags, 2):
            mats = construct([0, p, -p, q, -q], 4)
            res.append((error(4, mats, 256, 'relu', slice_=32)[0], f'0, ±{p}, ±{q}'))
        for e, name in sorted(res)[:12]:
            print(f'{e:.2e}  {name}')
        return
    cols = [('relu', 64), ('relu', 512), ('uniform', 64), ('uniform', 512)]
    print('| variant | ' + ' | '.join(f'{k} C={c}' for k, c in cols) + ' |')
    print('|---|' + '---:|' * len(cols))
    for name, m, pts, kw in VARIANTS:
        mats = construct(pts, m) if m else None
        cells = [error(m, mats, c, k, **kw) for k, c in cols]
        print(f'| {name} | ' + ' | '.join(f'{r:.1e} ({mx:.1e})' for r, mx in cells) + ' |', flush=True)


if __name__ == '__main__':
    main()
