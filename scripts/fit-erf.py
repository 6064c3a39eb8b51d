# Fits the erf/erfc coefficients of assembly/vmath.ts (erfv), by iteratively reweighted least
# squares against mpmath (run: python3 scripts/fit-erf.py; needs numpy and mpmath).
#   |x| < 0.875: erf(x) = x·P(x²), P of degree 6, relative error of the fit ≈ 2e-10
#   |x| ≥ 0.875: erfc(|x|) = t·exp(−x²)·exp(Q(t)), t = 1/(1 + |x|/2) ∈ (0, 0.696], Q of degree 10,
#                absolute error of Q (= relative error of erfc) ≈ 1e-9
import numpy as np, mpmath as mp
mp.mp.dps = 40
X0 = 0.875

def irls(xs, ys, basis, relw, iters=60):
    A = np.array([[b(x) for b in basis] for x in xs]); w = np.ones(len(xs))
    for _ in range(iters):
        c, *_ = np.linalg.lstsq(A * (w * relw)[:, None], ys * w * relw, rcond=None)
        e = np.abs((A @ c - ys) * relw); w = w * (e / e.max()) ** 0.5 + 1e-12; w /= w.max()
    return c, np.abs((A @ c - ys) * relw).max()

xs = np.cos(np.linspace(0, np.pi / 2, 3000)) * X0 + 1e-9
ys = np.array([float(mp.erf(x) / x) for x in xs])
p, e = irls(xs, ys, [lambda x, i=i: x ** (2 * i) for i in range(7)], 1 / ys)
print('P (x² powers 0..6), relative error', e)
print(', '.join(repr(float(np.float32(v))) for v in p))

tmax = 1 / (1 + X0 / 2)
ts = np.maximum((np.cos(np.linspace(0, np.pi, 4000)) + 1) / 2 * tmax, 1e-7)
xs = (1 / ts - 1) * 2
ys = np.array([float(mp.log(mp.erfc(x) * mp.exp(mp.mpf(x) ** 2) / t)) for x, t in zip(xs, ts)])
q, e = irls(ts, ys, [lambda u, i=i: u ** i for i in range(11)], np.ones(len(ts)))
print('Q (t powers 0..10), absolute error', e)
print(', '.join(repr(float(np.float32(v))) for v in q))
