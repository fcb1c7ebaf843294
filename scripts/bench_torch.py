"""PyTorch side of the benchmark table in docs/PERFORMANCE.md.

Measures, with torch.set_num_threads(THREADS):
  * sgemm      1024^3 float32 torch.mm, GFLOP/s
  * int8_gemm  1024^3 uint8 x int8: torch._int_mm when it exists (it does not
               in 1.13), else torch.ops.quantized.linear with prepacked int8
               weights (the quantized engine, oneDNN or fbgemm; includes the
               requantization of the output to uint8), GOP/s
  * resnet18   torchvision ResNet-18, random weights, 224x224, batches 1, 16
  * vit        the TinyViT of scripts/make_fixtures.py (the model behind
               testdata/pytorch/vit.onnx), 32x32, batches 1, 64
  * fashion    the FashionCNN of scripts/train_fashion_reference.py (behind
               testdata/pytorch/fashion/cnn.onnx), 28x28, batches 1, 256
and writes the models t2c and ONNX Runtime need into WORKDIR (resnet18.onnx,
a 1024^3 MatMul and a MatMulInteger model); never into the repository.

Run with Debian's Python (torch 1.13 with libopenblas0-openmp):

    /usr/bin/python3 scripts/bench_torch.py --workdir /tmp/x --out /tmp/x/torch.json
"""

import argparse
import json
import os
import statistics
import sys
import time

import onnx
from onnx import TensorProto, helper
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import TinyViT  # noqa: E402
from train_fashion_reference import FashionCNN  # noqa: E402


def times(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def pct(xs, p):
    s = sorted(xs)
    i = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))  # nearest rank
    return s[i]


def latency(model, shape, warmup, iters):
    x = torch.randn(*shape)
    with torch.no_grad():
        ts = times(lambda: model(x), warmup, iters)
    p50 = pct(ts, 50)
    return {"batch": shape[0], "latency_ms_p50": p50 * 1e3, "latency_ms_p90": pct(ts, 90) * 1e3,
            "images_per_second": shape[0] / statistics.mean(ts)}


def export_models(workdir):
    path = os.path.join(workdir, "resnet18.onnx")
    if not os.path.exists(path):
        torch.manual_seed(0)
        m = torchvision.models.resnet18().eval()
        torch.onnx.export(m, torch.randn(1, 3, 224, 224), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    n = 1024
    mm = os.path.join(workdir, "matmul1024.onnx")
    if not os.path.exists(mm):
        g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]),
                               helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), mm)
    mi = os.path.join(workdir, "matmulinteger1024.onnx")
    if not os.path.exists(mi):
        g = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["c"])], "matmulinteger",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, [n, n]),
                               helper.make_tensor_value_info("b", TensorProto.INT8, [n, n])],
                              [helper.make_tensor_value_info("c", TensorProto.INT32, [n, n])])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), mi)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", required=True, help="scratch directory for exported models")
    ap.add_argument("--out", required=True, help="JSON results file")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(args.workdir, exist_ok=True)
    export_models(args.workdir)

    res = {"framework": "PyTorch " + torch.__version__, "threads": args.threads,
           "mkldnn": torch.backends.mkldnn.is_available(), "quantized_engine": torch.backends.quantized.engine}

    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    ts = times(lambda: torch.mm(a, b), 3, 20)
    res["sgemm_1024_gflops"] = 2 * n**3 / statistics.median(ts) / 1e9

    if hasattr(torch, "_int_mm"):
        ai = torch.randint(-128, 127, (n, n), dtype=torch.int8)
        bi = torch.randint(-128, 127, (n, n), dtype=torch.int8)
        ts = times(lambda: torch._int_mm(ai, bi), 3, 20)
        res["int8_gemm_how"] = "torch._int_mm int8 x int8 -> int32"
    else:
        xq = torch.quantize_per_tensor(torch.rand(n, n), 1 / 255, 0, torch.quint8)
        wq = torch.quantize_per_tensor(torch.randn(n, n) * 0.1, 0.01, 0, torch.qint8)
        packed = torch.ops.quantized.linear_prepack(wq, None)
        ts = times(lambda: torch.ops.quantized.linear(xq, packed, 0.1, 128), 3, 20)
        res["int8_gemm_how"] = ("torch._int_mm not in %s; quantized.linear (%s engine, prepacked int8 weights, "
                                "uint8 output after requantization)" % (torch.__version__, torch.backends.quantized.engine))
    res["int8_gemm_1024_gops"] = 2 * n**3 / statistics.median(ts) / 1e9

    torch.manual_seed(0)
    models = {
        "resnet18": (torchvision.models.resnet18().eval(), (3, 224, 224), (1, 16)),
        "vit": (TinyViT().eval(), (3, 32, 32), (1, 64)),
        "fashion_cnn": (FashionCNN().eval(), (1, 28, 28), (1, 256)),
    }
    for name, (model, chw, batches) in models.items():
        for bsz in batches:
            iters = args.iters if bsz == 1 else max(5, args.iters // 3)
            res["%s_b%d" % (name, bsz)] = latency(model, (bsz,) + chw, args.warmup, iters)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
