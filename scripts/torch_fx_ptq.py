#!/usr/bin/python3
"""PyTorch's own int8 post-training quantization of t2c's trained ResNet-20,
as a reference for t2c ptq (docs/RESULTS.md).

Loads the weights from a t2c checkpoint (safetensors, parsed here: an 8-byte
little-endian header length, a JSON header, raw tensor data), builds the same
CIFAR-style ResNet-20 with a 1-channel first conv (scripts/make_zoo_fixtures.py's
CifarResNet), quantizes it with FX graph mode (torch.ao.quantization.quantize_fx
prepare_fx / convert_fx, the fbgemm default qconfig: per-channel symmetric int8
weights, per-tensor affine uint8 activations with histogram observers; Debian's
torch has no FBGEMM engine, so the converted model then runs on oneDNN) on the
same calibration images as t2c (the first N Fashion-MNIST train images,
normalised as t2c does), and prints one JSON object: float and int8 top-1,
agreement, calibration time.

Runs with Debian's PyTorch 1.13: /usr/bin/python3 scripts/torch_fx_ptq.py
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torch.ao.quantization import QConfigMapping, get_default_qconfig
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

MEAN, STD = 0.2860, 0.3530  # t2c's Fashion-MNIST preset

DTYPES = {
    "F32": np.float32, "F64": np.float64, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
    "U8": np.uint8, "BOOL": np.bool_,
}


def load_safetensors(path):
    """Returns ({name: np.ndarray}, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, e in header.items():
        lo, hi = e["data_offsets"]
        if e["dtype"] == "BF16":
            raw = np.frombuffer(data[lo:hi], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[lo:hi], dtype=DTYPES[e["dtype"]])
        tensors[name] = arr.reshape(e["shape"]).copy()
    return tensors, meta


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet (6n+2 layers) with torchvision's BasicBlock and a
    1x1 conv + BN projection shortcut, as t2c's zoo builds it."""

    def __init__(self, n, in_channels=1, num_classes=10, widths=(16, 32, 64)):
        super().__init__()
        block = torchvision.models.resnet.BasicBlock
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, widths[0], n, 1)
        self.layer2 = self._make_layer(block, widths[1], n, 2)
        self.layer3 = self._make_layer(block, widths[2], n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[2], num_classes)

    def _make_layer(self, block, planes, n, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [block(planes, planes) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def fashion(root, split, limit):
    prefix = "train" if split == "train" else "t10k"

    def find(base):
        for p in (os.path.join(root, base + ".gz"), os.path.join(root, base)):
            if os.path.exists(p):
                return p
        sys.exit(f"torch_fx_ptq: {os.path.join(root, base)}(.gz) not found")

    x = read_idx(find(prefix + "-images-idx3-ubyte"))
    y = read_idx(find(prefix + "-labels-idx1-ubyte"))
    if limit:
        x, y = x[:limit], y[:limit]
    # float32 exactly as t2c: (pixel/255 - mean) / std
    xf = ((x.astype(np.float32) / np.float32(255)) - np.float32(MEAN)) / np.float32(STD)
    return torch.from_numpy(xf[:, None, :, :].astype(np.float32)), torch.from_numpy(y.astype(np.int64))


def predict(model, x, batch):
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(model(x[i:i + batch]).argmax(1))
    return torch.cat(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default="runs/resnet20-fashion/model.safetensors")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--calib", type=int, default=512, help="calibration images: the first N train images")
    ap.add_argument("--test-limit", type=int, default=0, help="evaluate the first N test images (0: all)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--calib-batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--qconfig", default="fbgemm", help="default qconfig of this backend (fbgemm, x86, onednn, qnnpack)")
    ap.add_argument("--engine", default="", help="quantized engine to run on (default: the qconfig's if this torch has it, else onednn)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    tensors, meta = load_safetensors(args.checkpoint)
    model_meta = json.loads(meta.get("t2c.model", "{}"))
    if model_meta.get("zoo") not in (None, "resnet20"):
        sys.exit(f"torch_fx_ptq: {args.checkpoint} holds a {model_meta.get('zoo')}, not a resnet20")
    model = CifarResNet(3, in_channels=int(model_meta.get("in_channels") or 1), num_classes=int(model_meta.get("classes") or 10))
    state = model.state_dict()
    missing = [k for k in state if k not in tensors and not k.endswith("num_batches_tracked")]
    if missing:
        sys.exit(f"torch_fx_ptq: checkpoint lacks {missing[:5]}")
    model.load_state_dict({k: torch.from_numpy(tensors[k]) if k in tensors else state[k] for k in state})
    model.eval()

    xc, _ = fashion(args.data, "train", args.calib)
    xt, yt = fashion(args.data, "test", args.test_limit)
    pf = predict(model, xt, args.batch)

    start = time.perf_counter()
    engine = args.engine or (args.qconfig if args.qconfig in torch.backends.quantized.supported_engines else "onednn")
    torch.backends.quantized.engine = engine
    qconfig_mapping = QConfigMapping().set_global(get_default_qconfig(args.qconfig))
    prepared = prepare_fx(model, qconfig_mapping, example_inputs=(xc[:1],))
    with torch.no_grad():
        for i in range(0, len(xc), args.calib_batch):
            prepared(xc[i:i + args.calib_batch])
    quantized = convert_fx(prepared)
    calib_seconds = time.perf_counter() - start

    pq = predict(quantized, xt, args.batch)
    print(json.dumps({
        "method": "PyTorch FX int8 PTQ",
        "qconfig": args.qconfig,
        "engine": engine,
        "torch_version": torch.__version__,
        "float_top1": float((pf == yt).float().mean()),
        "quant_top1": float((pq == yt).float().mean()),
        "agreement": float((pf == pq).float().mean()),
        "calib_images": len(xc),
        "calib_seconds": calib_seconds,
        "test_images": len(xt),
    }, indent=2))


if __name__ == "__main__":
    main()
