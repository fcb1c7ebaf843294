"""Train a small CNN on Fashion-MNIST with PyTorch: the oracle for `t2c eval`.

What it makes (under testdata/pytorch/fashion/):

    cnn.onnx          the trained model, opset 13, dynamic batch, input name
                      "input" (N x 1 x 28 x 28 float32, already normalised),
                      output name "output" (N x 10 logits), BatchNormalization
                      kept as separate nodes, initializer names = state_dict
                      names (conv1.weight, bn1.running_mean, fc.weight, ...)
    predictions.npy   int64 argmax for each of the 10,000 test images, in file
                      order, from the PyTorch model in eval mode (float32)
    logits16.npy      float32 logits of the first 16 test images (16 x 10)
    reference.json    {"top1": fraction correct, "images": 10000, "mean": 0.2860,
                       "std": 0.3530, "torch_version": ..., "epochs": ...} and
                      a few extra facts (seed, params, decision margins)

Normalisation is NOT part of the model. The input is computed in float32 as
    x = (pixel / 255 - 0.2860) / 0.3530
i.e. float32(pixel) / float32(255), minus float32(0.2860), divided by
float32(0.3530), shaped N x 1 x 28 x 28.

Training: 2 epochs of SGD (momentum 0.9, lr 0.05, cosine schedule per step,
weight decay 5e-4, batch 128), fixed seed, torch.set_num_threads(2); a few
minutes on a 2-core CPU.

Run from the repository root with Debian's Python (it has torch 1.13 and onnx):

    /usr/bin/python3 scripts/train_fashion_reference.py [DATA_DIR]

DATA_DIR defaults to /usr/share/datasets/fashion-mnist and must contain
{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. The Go tests only read the
files written here; they never need Python.
"""

import argparse
import gzip
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = 0.2860
STD = 0.3530
SEED = 0
EPOCHS = 2
BATCH = 128
LR = 0.05
OUT_DIR = os.path.join("testdata", "pytorch", "fashion")


def read_idx(path):
    """Parse a gzipped IDX file (big-endian header) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch {arr.size} vs {dims}")
    return arr.reshape(dims)


def normalise(images_u8):
    x = images_u8.astype(np.float32) / np.float32(255)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return np.ascontiguousarray(x.reshape(-1, 1, 28, 28), dtype=np.float32)


class FashionCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, 2, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.conv4 = nn.Conv2d(64, 64, 3, 1, 1, bias=False)
        self.bn4 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))  # 16 x 28 x 28
        x = self.relu(self.bn2(self.conv2(x)))  # 32 x 14 x 14
        x = self.relu(self.bn3(self.conv3(x)))  # 64 x 7 x 7
        x = self.relu(self.bn4(self.conv4(x)))  # 64 x 7 x 7
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    out = []
    for i in range(0, len(x), batch):
        out.append(model(torch.from_numpy(x[i : i + batch])))
    return torch.cat(out).numpy().astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir", nargs="?", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=OUT_DIR)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)

    def load(split):
        imgs = read_idx(os.path.join(args.data_dir, f"{split}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(args.data_dir, f"{split}-labels-idx1-ubyte.gz"))
        return normalise(imgs), labels.astype(np.int64)

    xtr, ytr = load("train")
    xte, yte = load("t10k")
    print(f"train {xtr.shape} test {xte.shape}; train mean/std after norm "
          f"{xtr.mean():.4f}/{xtr.std():.4f}")

    model = FashionCNN()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"params: {nparams}")
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=5e-4, nesterov=False)
    steps_per_epoch = math.ceil(len(xtr) / BATCH)
    total_steps = args.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / total_steps))
    )
    gen = torch.Generator().manual_seed(SEED)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)

    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        run_loss, run_correct = 0.0, 0
        for i in range(0, len(xtr), BATCH):
            idx = perm[i : i + BATCH]
            xb, yb = xtr_t[idx], ytr_t[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run_loss += loss.item() * len(idx)
            run_correct += (logits.argmax(1) == yb).sum().item()
        dt = time.time() - t0
        acc = (predict(model, xte).argmax(1) == yte).mean()
        print(f"epoch {epoch + 1}/{args.epochs}: {dt:.1f}s  train loss {run_loss / len(xtr):.4f} "
              f"train acc {run_correct / len(xtr):.4f}  test acc {acc:.4f}")

    model.eval()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "cnn.onnx")
    # Model is in eval mode; PRESERVE keeps BatchNormalization nodes (EVAL
    # would fold them into Conv). The constant-folding warning torch prints
    # for PRESERVE concerns training-mode models; initializers are checked
    # against the state_dict below.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding")
    torch.onnx.export(
        model,
        torch.from_numpy(xte[:2]),
        onnx_path,
        export_params=True,
        opset_version=13,
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.PRESERVE,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    assert not model.training

    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    n_bn = sum(n.op_type == "BatchNormalization" for n in m.graph.node)
    if n_bn != 4:
        sys.exit(f"expected 4 BatchNormalization nodes, got {n_bn}")
    sd = {k: v.numpy() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    if set(inits) != set(sd):
        sys.exit(f"initializer names differ: {sorted(set(inits) ^ set(sd))}")
    for k, v in inits.items():
        if not np.array_equal(v, sd[k]):
            sys.exit(f"initializer {k} differs from state_dict")

    logits = predict(model, xte)
    preds = logits.argmax(1).astype(np.int64)
    top1 = float((preds == yte).mean())
    # Same model on a batch of 16 only: logits must agree closely.
    l16 = predict(model, xte[:16])
    d16 = float(np.abs(l16 - logits[:16]).max())
    srt = np.sort(logits, axis=1)
    margin = srt[:, -1] - srt[:, -2]

    np.save(os.path.join(args.out, "predictions.npy"), preds)
    np.save(os.path.join(args.out, "logits16.npy"), logits[:16].astype(np.float32))
    ref = {
        "top1": top1,
        "images": int(len(yte)),
        "correct": int((preds == yte).sum()),
        "mean": MEAN,
        "std": STD,
        "normalisation": "float32: (float32(pixel)/255 - 0.2860) / 0.3530, NCHW N x 1 x 28 x 28",
        "torch_version": torch.__version__,
        "onnx_opset": 13,
        "epochs": args.epochs,
        "batch_size": BATCH,
        "lr": LR,
        "seed": SEED,
        "params": int(nparams),
        "min_top2_margin": float(margin.min()),
        "images_margin_below_1e-4": int((margin < 1e-4).sum()),
        "images_margin_below_1e-3": int((margin < 1e-3).sum()),
    }
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")

    print(f"ONNX ops: {ops} (BatchNormalization x{n_bn})")
    print(f"initializers: {sorted(inits)}")
    print(f"test top-1 {top1:.4f} ({ref['correct']}/{ref['images']}); batch-16 vs batch-1000 "
          f"max |logit diff| {d16:.2e}; min top-2 margin {margin.min():.2e}")
    for name in ("cnn.onnx", "predictions.npy", "logits16.npy", "reference.json"):
        p = os.path.join(args.out, name)
        print(f"  {p}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main()
