"""Train the same models as configs/resnet20-fashion.yaml and configs/vit-fashion.yaml
with PyTorch, for the side-by-side training table in docs/PERFORMANCE.md.

Same architecture (module definitions shared with scripts/make_zoo_fixtures.py),
same data (Debian's Fashion-MNIST, normalised with mean 0.2860 / std 0.3530, no
augmentation), same optimiser, schedule (per-step cosine with linear warm-up) and
batch size as the t2c configs. Prints per-epoch throughput and test accuracy and
a final JSON line.

    /usr/bin/python3 scripts/train_torch_reference.py --model resnet20 --threads 2
    /usr/bin/python3 scripts/train_torch_reference.py --model vit --threads 2
"""
import argparse
import gzip
import importlib.util
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("zoo_fixtures", os.path.join(HERE, "make_zoo_fixtures.py"))
zoo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(zoo)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (x - np.float32(0.2860)) / np.float32(0.3530)
    return torch.from_numpy(x[:, None]), torch.from_numpy(y)


def build(name):
    if name == "resnet20":
        m = zoo.CifarResNet(3, num_classes=10)
        m.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        recipe = dict(opt="sgd", lr=0.1, momentum=0.9, nesterov=True, wd=5e-4, epochs=4, warmup=0.3, smoothing=0.0)
    else:
        m = zoo.VisionTransformer(img=28, patch=4, dim=64, depth=4, heads=4, mlp_ratio=2, num_classes=10)
        m.patch_embed.proj = nn.Conv2d(1, 64, 4, 4)
        nn.init.trunc_normal_(m.pos_embed, std=0.02)
        nn.init.trunc_normal_(m.cls_token, std=0.02)
        recipe = dict(opt="adamw", lr=2e-3, wd=0.05, epochs=5, warmup=0.5, smoothing=0.1)
    return m, recipe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["resnet20", "vit"], default="resnet20")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=0, help="override the recipe's epochs")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    model, r = build(args.model)
    epochs = args.epochs or r["epochs"]
    if r["opt"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=r["lr"], momentum=r["momentum"], nesterov=r["nesterov"], weight_decay=r["wd"])
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=r["lr"], weight_decay=r["wd"])
    steps = math.ceil(len(xtr) / args.batch)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=r["smoothing"])
    params = sum(p.numel() for p in model.parameters())
    print(f"{args.model}: {params} parameters, {epochs} epochs, {args.threads} threads, torch {torch.__version__}")
    total_train = 0.0
    history = []
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        t0 = time.time()
        for s in range(steps):
            progress = epoch + s / steps
            if progress < r["warmup"]:
                lr = r["lr"] * progress / r["warmup"]
            else:
                lr = r["lr"] * (1 + math.cos(math.pi * min(1.0, (progress - r["warmup"]) / (epochs - r["warmup"])))) / 2
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[s * args.batch : (s + 1) * args.batch]
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        dt = time.time() - t0
        total_train += dt
        model.eval()
        with torch.no_grad():
            correct = sum((model(xte[i : i + 500]).argmax(1) == yte[i : i + 500]).sum().item() for i in range(0, len(xte), 500))
        acc = correct / len(xte)
        history.append({"epoch": epoch + 1, "test_top1": acc, "images_per_second": len(xtr) / dt, "seconds": dt})
        print(f"epoch {epoch + 1}/{epochs}: test {100 * acc:.2f}%  {len(xtr) / dt:.0f} img/s  {dt:.1f}s", flush=True)
    print(json.dumps({"model": args.model, "params": params, "threads": args.threads, "top1": history[-1]["test_top1"],
                      "train_minutes": total_train / 60, "images_per_second": len(xtr) * epochs / total_train,
                      "torch": torch.__version__, "history": history}))


if __name__ == "__main__":
    main()
