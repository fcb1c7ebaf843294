"""Make PyTorch gradient reference fixtures for the Go autodiff tests.

For each model of scripts/make_fixtures.py (resnet, mobilenetv2, vit) this
re-creates the model with exactly the weights that were exported to
testdata/pytorch/{name}.onnx (same seeds, same construction; the script
asserts that every ONNX initializer equals the re-created state_dict, and
that the re-created input equals {name}.input.npy), then computes

    loss = cross_entropy(model(input), labels=[3, 7])   (mean over the batch)

and its gradients, in two modes:

  * train  BatchNorm uses batch statistics (model.train()); every Dropout has
           p set to 0 so the computation is deterministic and matches the
           exported graph (which has no Dropout node).
  * eval   BatchNorm uses its running statistics (model.eval()).

Written under testdata/pytorch/grads/ (float32):

    {name}.{train,eval}.npz   one array per trainable parameter, keyed by
                              its ONNX initializer name, shaped like the
                              initializer; plus "input", the gradient with
                              respect to the input batch.
    {name}.{train,eval}.json  loss, labels, mode, parameter names, and how
                              far PyTorch's own float32 gradients are from
                              the stored reference.

BN running statistics are not parameters and get no gradient. The ViT's
Linear weights applied to 3-D inputs are stored by torch's exporter as
transposed copies named "onnx::MatMul_N" (testdata/pytorch/vit.initializer_map.json);
their gradients are stored under that name, transposed to the ONNX layout.

The reference is computed in float64 (the float32 weights and input cast
exactly to float64) and rounded to float32, so it is the exact gradient of
the float32 model up to one rounding; the JSON records, per tensor, the
relative error  max|g_f32 - g_ref| / max|g_ref|  of PyTorch's own float32
computation, to show what float32 noise level to expect. It also lists
("zero_grad") the tensors whose exact gradient is zero (their float64 values
are rounding noise, <= 1e-12 x "grad_scale", the largest |gradient| of the
mode): in training mode, a BN bias that reaches the next BN only through an
unpadded 1x1 conv merely shifts that BN's batch mean. Relative error is
meaningless for these; the Go test bounds them against grad_scale.

Run from the repository root with Debian's Python (torch 1.13, onnx):

    /usr/bin/python3 scripts/make_grad_fixtures.py
"""

import copy
import importlib.util
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PT_DIR = os.path.join("testdata", "pytorch")
OUT_DIR = os.path.join(PT_DIR, "grads")
LABELS = [3, 7]
MAX_TOTAL = 2 * 1024 * 1024


def load_make_fixtures():
    """Import scripts/make_fixtures.py as a module (its main() is guarded)."""
    path = os.path.join(HERE, "make_fixtures.py")
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def recreate(mf, i, cls):
    """Build model i exactly as make_fixtures.main() does."""
    torch.manual_seed(mf.SEED + i)
    gen = torch.Generator().manual_seed(1000 + i)
    model = cls()
    mf.randomize(model, gen)
    model.eval()
    x = torch.randn(mf.BATCH, 3, 32, 32, generator=gen, dtype=torch.float32)
    return model, x


def onnx_names(name, model):
    """Map every ONNX initializer name to (state_dict name, transposed, shape),
    checking values bit for bit against the re-created model."""
    m = onnx.load(os.path.join(PT_DIR, f"{name}.onnx"))
    renamed = {}
    mp = os.path.join(PT_DIR, f"{name}.initializer_map.json")
    if os.path.exists(mp):
        with open(mp) as f:
            renamed = {k: v["state_dict"] for k, v in json.load(f).items()}
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    out = {}
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        if t.name in sd:
            sd_name, tr = t.name, False
            want = sd[sd_name]
        elif t.name in renamed:
            sd_name, tr = renamed[t.name], True
            want = sd[sd_name].T
        else:
            sys.exit(f"{name}: ONNX initializer {t.name} not in state_dict or initializer map")
        if a.dtype != want.dtype or a.shape != want.shape or not np.array_equal(a, want):
            sys.exit(f"{name}: ONNX initializer {t.name} differs from re-created {sd_name}")
        out[t.name] = (sd_name, tr, a.shape)
    # Every state_dict tensor (but the BN step counters, which the export
    # drops) must be accounted for.
    covered = {v[0] for v in out.values()}
    left = sorted(k for k in sd if k not in covered and not k.endswith("num_batches_tracked"))
    if left:
        sys.exit(f"{name}: state_dict tensors missing from ONNX: {left}")
    return out


def grads(model, x, train, dtype):
    """Loss and gradients (params by state_dict name, and the input)."""
    model = copy.deepcopy(model).to(dtype)
    for mm in model.modules():
        if isinstance(mm, nn.Dropout):
            mm.p = 0.0
    model.train(train)
    x = x.detach().to(dtype).clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    out = model(x)
    loss = F.cross_entropy(out, torch.tensor(LABELS, dtype=torch.int64))
    loss.backward()
    g = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
    return loss.item(), g, x.grad.detach().clone()


def rel_err(a, ref):
    return float(np.max(np.abs(a.astype(np.float64) - ref)) / max(np.max(np.abs(ref)), 1e-8))


def main():
    torch.set_num_threads(1)
    mf = load_make_fixtures()
    os.makedirs(OUT_DIR, exist_ok=True)
    specs = [("resnet", mf.CifarResNet), ("mobilenetv2", mf.TinyMobileNetV2), ("vit", mf.TinyViT)]
    total = 0
    for i, (name, cls) in enumerate(specs):
        model, x = recreate(mf, i, cls)
        saved_x = np.load(os.path.join(PT_DIR, f"{name}.input.npy"))
        if not np.array_equal(saved_x, x.numpy()):
            sys.exit(f"{name}: re-created input differs from {name}.input.npy")
        with torch.no_grad():
            y = model(x).numpy()
        saved_y = np.load(os.path.join(PT_DIR, f"{name}.output.npy"))
        if not np.array_equal(saved_y, y):
            sys.exit(f"{name}: re-created model's output differs from {name}.output.npy")
        init = onnx_names(name, model)
        shapes = {k: v[2] for k, v in init.items()}
        params = dict(model.named_parameters())
        # Trainable ONNX initializers: those that are nn.Parameters (not BN
        # running statistics, which are buffers).
        trainable = sorted(k for k, (sd_name, _, _) in init.items() if sd_name in params)
        buffers = sorted(k for k, (sd_name, _, _) in init.items() if sd_name not in params)
        if {init[k][0] for k in trainable} != set(params):
            sys.exit(f"{name}: some parameters have no ONNX initializer")
        for b in buffers:
            if not (b.endswith(".running_mean") or b.endswith(".running_var")):
                sys.exit(f"{name}: unexpected non-parameter initializer {b}")

        for mode in ("train", "eval"):
            train = mode == "train"
            loss64, g64, gx64 = grads(model, x, train, torch.float64)
            loss32, g32, gx32 = grads(model, x, train, torch.float32)
            arrays, f32err = {}, {}
            for k in trainable:
                sd_name, tr, _ = init[k]
                ref = g64[sd_name].numpy()
                got = g32[sd_name].numpy()
                if tr:
                    ref, got = ref.T, got.T
                arrays[k] = np.ascontiguousarray(ref.astype(np.float32))
                f32err[k] = rel_err(got, ref)
            arrays["input"] = gx64.numpy().astype(np.float32)
            f32err["input"] = rel_err(gx32.numpy(), gx64.numpy())
            for k, a in arrays.items():
                want = shapes[k] if k != "input" else tuple(x.shape)
                if a.shape != want:
                    sys.exit(f"{name}.{mode}: gradient {k} has shape {a.shape}, tensor is {want}")
                if not np.all(np.isfinite(a)):
                    sys.exit(f"{name}.{mode}: gradient {k} is not finite")
            # Tensors whose exact gradient is zero: in training mode a BN
            # bias (or residual sum) that reaches a following BN only through
            # an unpadded 1x1 conv shifts that BN's batch mean and nothing
            # else, so the loss does not depend on it. The float64 result is
            # rounding noise (~1e-17); float32 implementations give noise of
            # their own, so relative error is meaningless for these and the
            # Go test bounds them against grad_scale instead.
            scale = max(float(np.max(np.abs(a))) for a in arrays.values())
            zero = sorted(k for k, a in arrays.items() if float(np.max(np.abs(a))) <= 1e-12 * scale)
            base = os.path.join(OUT_DIR, f"{name}.{mode}")
            np.savez(base + ".npz", **arrays)
            worst = max(f32err, key=f32err.get)
            meta = {
                "model": name,
                "mode": mode,
                "bn_batch_statistics": train,
                "labels": LABELS,
                "loss": loss64,
                "loss_float32": loss32,
                "reduction": "mean",
                "params": trainable,
                "input_grad": "input",
                "frozen": buffers,
                "transposed": {k: init[k][0] for k in trainable if init[k][1]},
                "reference": "float64 computation from the float32 weights and input, rounded to float32",
                "float32_rel_err": f32err,
                "grad_scale": scale,
                "zero_grad": zero,
                "float32_rel_err_max": {"tensor": worst, "value": f32err[worst]},
            }
            with open(base + ".json", "w") as f:
                json.dump(meta, f, indent=1, sort_keys=True)
                f.write("\n")
            sz = os.path.getsize(base + ".npz") + os.path.getsize(base + ".json")
            total += sz
            print(f"{name:12s} {mode:5s} loss={loss64:.6f} (f32 {loss32:.6f}) tensors={len(arrays)} "
                  f"torch-f32 worst rel err {f32err[worst]:.2e} ({worst}) {sz} bytes")
    print(f"total gradient fixture size: {total} bytes")
    if total > MAX_TOTAL:
        sys.exit("gradient fixtures exceed 2 MB")


if __name__ == "__main__":
    main()
