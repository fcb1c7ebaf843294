"""Make the PyTorch -> ONNX reference fixtures used by the Go tests.

What it makes (all under testdata/pytorch/, float32, well under 2 MB in total):

    resnet.onnx       resnet.input.npy       resnet.output.npy
    mobilenetv2.onnx  mobilenetv2.input.npy  mobilenetv2.output.npy
    vit.onnx          vit.input.npy          vit.output.npy
    vit.initializer_map.json

Three small, randomly initialised (fixed seed) models:

  * resnet       CIFAR-style ResNet (3x32x32 -> 10), torchvision module names
                 (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc).
  * mobilenetv2  MobileNetV2-style network (3x32x32 -> 10), torchvision names
                 (features.0.0, features.1.conv.0.0, ..., classifier.1).
  * vit          tiny timm-style ViT (patch 8, dim 32, depth 2, heads 2,
                 MLP ratio 2), explicit attention, erf GELU, class token.

BatchNorm running statistics and affine parameters are randomised so that BN
actually changes the result. Every model is exported in eval() mode with a
dynamic batch dimension (input name "input", output name "output"), with
BatchNormalization kept as separate ONNX nodes (not folded into Conv) and
with ONNX initializer names equal to the PyTorch state_dict names where the
exporter allows it. (Exception: torch folds the transposed weight of a
Linear applied to a 3-D input into a new initializer "onnx::MatMul_N"; the
script checks each such tensor equals the state_dict weight transposed and
writes the mapping to {name}.initializer_map.json.) resnet and mobilenetv2
use opset 13, vit opset 17 (so LayerNorm becomes LayerNormalization). The input is a batch of 2 standard
normal images; the output is PyTorch's eval-mode output for that input.

Run from the repository root with Debian's Python (it has torch 1.13 and onnx):

    /usr/bin/python3 scripts/make_fixtures.py

The Go tests only read the files written here; they never need Python.
"""

import collections
import json
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
OUT_DIR = os.path.join("testdata", "pytorch")
BATCH = 2


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class CifarResNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), blocks=(1, 1, 1), num_classes=10):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(widths[0], blocks[0], 1)
        self.layer2 = self._make_layer(widths[1], blocks[1], 2)
        self.layer3 = self._make_layer(widths[2], blocks[2], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[2], num_classes)

    def _make_layer(self, planes, n, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, n):
            layers.append(BasicBlock(planes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


class ConvBNActivation(nn.Sequential):
    """torchvision's Conv2dNormActivation: [Conv2d, BatchNorm2d, ReLU6]."""

    def __init__(self, cin, cout, k=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand_ratio):
        super().__init__()
        hidden = int(round(cin * expand_ratio))
        self.use_res_connect = stride == 1 and cin == cout
        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNActivation(cin, hidden, k=1))
        layers += [
            ConvBNActivation(hidden, hidden, k=3, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class TinyMobileNetV2(nn.Module):
    # (expand_ratio, out_channels, stride)
    CFG = [(1, 8, 1), (4, 16, 2), (4, 16, 1), (4, 24, 1)]

    def __init__(self, num_classes=10, stem=16, last=64):
        super().__init__()
        feats = [ConvBNActivation(3, stem, 3, stride=1)]
        cin = stem
        for t, c, s in self.CFG:
            feats.append(InvertedResidual(cin, c, s, t))
            cin = c
        feats.append(ConvBNActivation(cin, last, k=1))
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        return self.classifier(x)


class PatchEmbed(nn.Module):
    def __init__(self, img=32, patch=8, cin=3, dim=32):
        super().__init__()
        self.num_patches = (img // patch) ** 2
        self.proj = nn.Conv2d(cin, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # B, N, D


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact (erf) form
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


class TinyViT(nn.Module):
    def __init__(self, img=32, patch=8, dim=32, depth=2, heads=2, mlp_ratio=2.0, num_classes=10):
        super().__init__()
        self.patch_embed = PatchEmbed(img, patch, 3, dim)
        n = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1)
        x = x + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def randomize(model, gen):
    """Make BN/LN and token parameters non-trivial (deterministically)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)  # 0.5..2
                m.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)  # 0.5..1.5
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
            elif isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
        if isinstance(model, TinyViT):
            model.cls_token.copy_(torch.randn(model.cls_token.shape, generator=gen) * 0.5)
            model.pos_embed.copy_(torch.randn(model.pos_embed.shape, generator=gen) * 0.5)


def export(model, x, path, opset):
    # torch warns about constant folding with PRESERVE; that warning is about
    # models in training mode. Ours are in eval mode, and check() verifies
    # every initializer against the state_dict.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding")
    torch.onnx.export(
        model,
        x,
        path,
        export_params=True,
        opset_version=opset,
        do_constant_folding=True,
        # Model is in eval() mode; PRESERVE keeps BatchNormalization nodes
        # (TrainingMode.EVAL would fold BN into the preceding Conv).
        training=torch.onnx.TrainingMode.PRESERVE,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )


def check(name, model, path, expect_bn):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    inits = {t.name for t in m.graph.initializer}
    sd = {k for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    if expect_bn and ops["BatchNormalization"] == 0:
        sys.exit(f"{name}: BatchNormalization was folded away")
    if expect_bn:
        n_bn = sum(isinstance(mm, nn.BatchNorm2d) for mm in model.modules())
        if ops["BatchNormalization"] != n_bn:
            sys.exit(f"{name}: {ops['BatchNormalization']} BN nodes, model has {n_bn}")
    missing = sorted(sd - inits)
    extra = sorted(i for i in inits - sd)
    if expect_bn and (missing or extra):
        sys.exit(f"{name}: initializer names differ from state_dict: missing={missing} extra={extra}")
    # Values must be the model's own (constant folding must not have touched
    # the parameters), and initializers that torch renamed must be explained.
    sdv = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    renamed = {}
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        if t.name in sdv:
            if not np.array_equal(a, sdv[t.name]):
                sys.exit(f"{name}: initializer {t.name} differs from state_dict")
            continue
        # torch folds Linear-on-3D-input weights into a transposed copy named
        # onnx::MatMul_N; the MatMul node name carries the module scope.
        users = [n for n in m.graph.node if t.name in n.input]
        if len(users) != 1 or users[0].op_type != "MatMul":
            sys.exit(f"{name}: unexplained initializer {t.name}")
        parts = users[0].name.strip("/").split("/")[:-1]
        # Scopes look like ["blocks", "blocks.0", "attn", "qkv"]: drop the
        # container prefixes that repeat in the next element.
        mod = []
        for j, part in enumerate(parts):
            if j + 1 < len(parts) and parts[j + 1].startswith(part + "."):
                continue
            mod.append(part)
        sd_name = ".".join(mod) + ".weight"
        if sd_name not in sdv or not np.array_equal(a, sdv[sd_name].T):
            sys.exit(f"{name}: {t.name} (node {users[0].name}) is not {sd_name}.T")
        renamed[t.name] = sd_name
    # Dynamic batch must be symbolic on both ends.
    for vi in list(m.graph.input) + list(m.graph.output):
        d0 = vi.type.tensor_type.shape.dim[0]
        if d0.dim_param != "batch":
            sys.exit(f"{name}: {vi.name} batch dim is not dynamic")
    return m, ops, inits, sd, missing, extra, renamed


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    os.makedirs(OUT_DIR, exist_ok=True)

    specs = [
        ("resnet", CifarResNet, 13, True),
        ("mobilenetv2", TinyMobileNetV2, 13, True),
        ("vit", TinyViT, 17, False),
    ]
    total = 0
    for i, (name, cls, opset, has_bn) in enumerate(specs):
        torch.manual_seed(SEED + i)
        gen = torch.Generator().manual_seed(1000 + i)
        model = cls()
        randomize(model, gen)
        model.eval()
        x = torch.randn(BATCH, 3, 32, 32, generator=gen, dtype=torch.float32)
        with torch.no_grad():
            y = model(x)

        path = os.path.join(OUT_DIR, f"{name}.onnx")
        try:
            export(model, x, path, opset)
        except Exception as e:  # pragma: no cover - fallback documented
            if opset != 17:
                raise
            print(f"{name}: opset 17 export failed ({e}); falling back to opset 14")
            opset = 14
            export(model, x, path, opset)
        # The export must not have touched the model (eval mode, same output).
        assert not model.training
        with torch.no_grad():
            assert torch.equal(model(x), y)

        np.save(os.path.join(OUT_DIR, f"{name}.input.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT_DIR, f"{name}.output.npy"), y.numpy().astype(np.float32))

        m, ops, inits, sd, missing, extra, renamed = check(name, model, path, has_bn)
        nparams = sum(p.numel() for p in model.parameters())
        print(f"== {name} (opset {opset}) params={nparams}")
        print("   ops: " + ", ".join(f"{k}x{v}" for k, v in sorted(ops.items())))
        print(f"   initializers: {len(inits)} (state_dict tensors: {len(sd)})")
        shared = sorted(inits & sd)
        print(f"   sample names: {shared[:6]}")
        if missing or extra:
            print(f"   state_dict names not in ONNX: {missing}")
            print(f"   ONNX initializers not in state_dict: {extra}")
        if renamed:
            print("   renamed (value == state_dict weight transposed):")
            for k, v in sorted(renamed.items()):
                print(f"     {k} = {v}.T")
            mp = os.path.join(OUT_DIR, f"{name}.initializer_map.json")
            with open(mp, "w") as f:
                json.dump(
                    {k: {"state_dict": v, "transposed": True} for k, v in sorted(renamed.items())},
                    f,
                    indent=1,
                    sort_keys=True,
                )
                f.write("\n")
        for suffix in (".onnx", ".input.npy", ".output.npy", ".initializer_map.json"):
            p = os.path.join(OUT_DIR, name + suffix)
            if not os.path.exists(p):
                continue
            sz = os.path.getsize(p)
            total += sz
            print(f"   {p}: {sz} bytes")
        print(f"   output[0,:4] = {y[0, :4].tolist()}")
    print(f"total fixture size: {total} bytes")
    if total > 2 * 1024 * 1024:
        sys.exit("fixtures exceed 2 MB")


if __name__ == "__main__":
    main()
