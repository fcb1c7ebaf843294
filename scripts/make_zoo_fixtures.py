"""Make the fixtures that check t2c's model zoo (package zoo) against PyTorch.

Run from the repository root with Debian's Python (torch 1.13, torchvision
0.14; no network, no pretrained weights):

    /usr/bin/python3 scripts/make_zoo_fixtures.py           # write testdata/zoo
    /usr/bin/python3 scripts/make_zoo_fixtures.py --counts  # print full-size parameter counts

For each fixture below, the script builds the PyTorch model (torchvision's
own module where torchvision has it, otherwise a definition in this file that
reproduces the common implementation's module names), fills EVERY state_dict
tensor from the closed-form formula of fill() below, and saves

    {name}.input.npy    a batch of 2 standard-normal images (torch seed 0)
    {name}.output.npy   the eval-mode output for that batch

plus manifest.json (per fixture: the zoo model and its zoo.Config, PyTorch's
parameter count, and the sorted state_dict names and shapes without
num_batches_tracked) and one complete
state_dict, resnet8.safetensors, written by the small safetensors writer
below (with BatchNorm's int64 num_batches_tracked counters, which t2c must
accept and ignore). The Go test zoo/pytorch_test.go builds the same models
with zoo.Build, fills them with the same formula (it must produce the very
same float32 values as the stored state_dict), and compares outputs.

The fill formula (keep it identical to fill in zoo/pytorch_test.go). Let the
state_dict names without "num_batches_tracked" be sorted (byte order), and
let p be a tensor's index in that order and i an element's index in the
flattened (row-major) tensor. In float64,

    s = sin(0.7*i + 1.3*p + 0.1)      evaluated as ((0.7*i) + (1.3*p)) + 0.1
    name ends "running_var"           1 + 0.5*|s|
    name ends "running_mean"          0.1*s
    name ends ".weight", rank 1       1 + 0.1*s        (BatchNorm/LayerNorm scale)
    name ends ".weight", rank >= 2    s/sqrt(fan_in),  fan_in = numel/shape[0]
    name ends ".bias"                 0.1*s
    anything else                     0.5*s            (cls_token, pos_embed)

and the value is then rounded to float32. (The weight scale keeps activations
moderate: the sinusoidal weights are far from random, and a larger scale makes
ResNet-18's logits grow to ~1e6.)
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

OUT_DIR = os.path.join("testdata", "zoo")
BATCH = 2


# --------------------------------------------------------------------------
# Models torchvision lacks (module names as the zoo's Go builders use them)
# --------------------------------------------------------------------------


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet (6n+2 layers) with torchvision's BasicBlock
    and a 1x1 conv + BN projection shortcut ("option B")."""

    def __init__(self, n, num_classes=10, widths=(16, 32, 64)):
        super().__init__()
        block = torchvision.models.resnet.BasicBlock
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
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
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [block(planes, planes) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class MobileNetV1(nn.Module):
    """The widely used PyTorch MobileNetV1: model.{i} = conv_bn / conv_dw."""

    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()

        def conv_bn(inp, oup, stride):
            return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), nn.ReLU(inplace=True))

        def conv_dw(inp, oup, stride):
            return nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
                nn.BatchNorm2d(inp),
                nn.ReLU(inplace=True),
                nn.Conv2d(inp, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup),
                nn.ReLU(inplace=True),
            )

        layers, c = [conv_bn(3, 32, 2)], 32
        for out, stride in self.BLOCKS:
            layers.append(conv_dw(c, out, stride))
            c = out
        layers.append(nn.AdaptiveAvgPool2d(1))  # AvgPool2d(7) at 224x224
        self.model = nn.Sequential(*layers)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        return self.fc(self.model(x).view(-1, 1024))


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, cin, dim):
        super().__init__()
        self.proj = nn.Conv2d(cin, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    """timm's VisionTransformer (class token, no LayerScale), same names."""

    def __init__(self, img=224, patch=16, dim=768, depth=12, heads=12, mlp_ratio=4.0, num_classes=1000):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, 3, dim)
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(x))[:, 0])


def resnet(name, num_classes, stem):
    m = getattr(torchvision.models, name)(num_classes=num_classes)
    if stem == "cifar":
        m.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        m.maxpool = nn.Identity()
    return m


def vgg_cifar(name, num_classes, hidden=512):
    """torchvision VGG with the zoo's small-input classifier (no pooling, a
    Linear on the flattened 512x1x1 map; see zoo/vgg.go)."""
    m = getattr(torchvision.models, name)(num_classes=num_classes)
    m.avgpool = nn.Identity()
    m.classifier = nn.Sequential(
        nn.Linear(512, hidden), nn.ReLU(True), nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
        nn.Linear(hidden, num_classes),
    )
    return m


# name, zoo model, zoo config (Go field names), image size, PyTorch constructor
FIXTURES = [
    ("resnet18_cifar", "resnet18", {"Classes": 10, "ImageSize": 32, "Stem": "cifar"}, 32, lambda: resnet("resnet18", 10, "cifar")),
    ("resnet18_imagenet", "resnet18", {"Classes": 10, "ImageSize": 64}, 64, lambda: resnet("resnet18", 10, "imagenet")),
    ("resnet50_cifar", "resnet50", {"Classes": 10, "ImageSize": 32, "Stem": "cifar"}, 32, lambda: resnet("resnet50", 10, "cifar")),
    ("resnet50_imagenet", "resnet50", {"Classes": 10, "ImageSize": 64}, 64, lambda: resnet("resnet50", 10, "imagenet")),
    ("resnet8", "resnet8", {}, 32, lambda: CifarResNet(1)),
    ("resnet20", "resnet20", {}, 32, lambda: CifarResNet(3)),
    ("vgg11_bn", "vgg11_bn", {"Classes": 10, "ImageSize": 32}, 32, lambda: vgg_cifar("vgg11_bn", 10)),
    ("mobilenet_v1", "mobilenet_v1", {"Classes": 10, "ImageSize": 32}, 32, lambda: MobileNetV1(10)),
    ("mobilenet_v2", "mobilenet_v2", {"Classes": 10, "ImageSize": 32, "Width": 0.5}, 32,
     lambda: torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.5)),
    ("vit", "vit", {"Classes": 10, "ImageSize": 32, "PatchSize": 8, "Dim": 48, "Depth": 2, "Heads": 3}, 32,
     lambda: VisionTransformer(img=32, patch=8, dim=48, depth=2, heads=3, num_classes=10)),
]

# The one fixture whose complete state_dict is stored.
STATE_DICT_FIXTURE = "resnet8"


# --------------------------------------------------------------------------
# The fill formula and a minimal safetensors writer
# --------------------------------------------------------------------------


def fill_value(name, p, shape):
    """The closed-form value of state_dict tensor p (see the module doc)."""
    n = int(np.prod(shape, dtype=np.int64))
    s = np.sin(0.7 * np.arange(n, dtype=np.float64) + 1.3 * p + 0.1)
    if name.endswith("running_var"):
        v = 1 + 0.5 * np.abs(s)
    elif name.endswith("running_mean"):
        v = 0.1 * s
    elif name.endswith(".weight") and len(shape) == 1:
        v = 1 + 0.1 * s
    elif name.endswith(".weight"):
        v = s / math.sqrt(n // shape[0])
    elif name.endswith(".bias"):
        v = 0.1 * s
    else:
        v = 0.5 * s
    return v.astype(np.float32).reshape(shape)


def state_names(model):
    return sorted(k for k in model.state_dict() if not k.endswith("num_batches_tracked"))


def fill(model):
    sd = model.state_dict()
    with torch.no_grad():
        for p, name in enumerate(state_names(model)):
            sd[name].copy_(torch.from_numpy(fill_value(name, p, tuple(sd[name].shape))))
        for name in sd:
            if name.endswith("num_batches_tracked"):
                sd[name].fill_(7)  # any value: t2c ignores the counters


SAFETENSORS_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def save_safetensors(path, tensors, metadata):
    """Write a safetensors file: u64 header length, JSON header (sorted keys,
    padded with spaces to 8 bytes), little-endian data in name order."""
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype, np_dtype = SAFETENSORS_DTYPES[t.dtype]
        b = t.numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def count(model):
    return sum(p.numel() for p in model.parameters())


def print_counts():
    tv = torchvision.models
    models = {
        "resnet18": tv.resnet18(),
        "resnet34": tv.resnet34(),
        "resnet50": tv.resnet50(),
        "vgg11_bn": tv.vgg11_bn(),
        "vgg16_bn": tv.vgg16_bn(),
        "mobilenet_v1": MobileNetV1(),
        "mobilenet_v2": tv.mobilenet_v2(),
        "resnet20": CifarResNet(3),
        "resnet56": CifarResNet(9),
        "vit_tiny": VisionTransformer(dim=192, heads=3),
        "vit_small": VisionTransformer(dim=384, heads=6),
        "vit_base": VisionTransformer(),
    }
    for name, m in models.items():
        print(f"{name:14s} {count(m):>12,d}")


def main():
    if "--counts" in sys.argv[1:]:
        print_counts()
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    manifest = []
    for name, zoo_model, cfg, size, make in FIXTURES:
        model = make().eval()
        fill(model)
        x = torch.randn(BATCH, 3, size, size)
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(OUT_DIR, f"{name}.input.npy"), x.numpy())
        np.save(os.path.join(OUT_DIR, f"{name}.output.npy"), y.numpy())
        sd = model.state_dict()
        manifest.append({
            "name": name,
            "model": zoo_model,
            "config": cfg,
            "params": count(model),
            "keys": state_names(model),
            "shapes": [list(sd[k].shape) for k in state_names(model)],
        })
        if name == STATE_DICT_FIXTURE:
            save_safetensors(os.path.join(OUT_DIR, f"{name}.safetensors"), sd, {"format": "pt", "fixture": name})
        print(f"{name:18s} params {count(model):>10,d}  output max|y| {y.abs().max().item():.4g}")
    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as f:
        json.dump({"fixtures": manifest}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
