"""Turn the results of scripts/bench_all.sh into the Markdown tables of
docs/PERFORMANCE.md.

    python3 scripts/bench_report.py WORKDIR

Every number is the median over rounds of that round's figure (itself a
median over runs, or the median of `go test -count` repetitions).
"""

import glob
import json
import os
import re
import statistics
import sys


def load(pattern):
    out = []
    for f in sorted(glob.glob(pattern)):
        with open(f) as fh:
            out.append(json.load(fh))
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def gobench(text, name):
    """Median of the last metric column (GFLOP/s, GOP/s) of benchmark name."""
    vals = []
    for line in text.splitlines():
        f = line.split()
        if f and re.fullmatch(r"Benchmark" + name + r"(-\d+)?", f[0]):
            for i, tok in enumerate(f):
                if tok in ("GFLOP/s", "GOP/s"):
                    vals.append(float(f[i - 1]))
    return med(vals)


def fmt(x, digits=1):
    return "—" if x is None else ("%.*f" % (digits, x))


def main():
    work = sys.argv[1]
    torch, ort = load(os.path.join(work, "torch.*.json")), load(os.path.join(work, "ort.*.json"))
    peak_txt = open(os.path.join(work, "peak.txt")).read()
    go_txt = "".join(open(f).read() for f in sorted(glob.glob(os.path.join(work, "gobench.*.txt"))))
    peak_f = max(filter(None, [gobench(peak_txt, "Peak/fma512"), gobench(peak_txt, "Peak/fma256")]))
    peak_i = gobench(peak_txt, "Peak/vnni512")
    backend = "avx512" if gobench(go_txt, "Sgemm/avx512/1024") else "avx2"
    threads = torch[0]["threads"] if torch else "?"

    def t2c(key):
        return load(os.path.join(work, "t2c.*.%s.json" % key))

    def tv(rows, key, field):
        return med([r.get(key, {}).get(field) for r in rows])

    lines = []
    w = lines.append
    w("Measured peak on %s threads: %.0f GFLOP/s float32 FMA, %s GOP/s int8 VPDPBUSD (register-only loops, "
      "`go test ./kernels -bench Peak`)." % (threads, peak_f, fmt(peak_i, 0)))
    w("")
    w("| benchmark | t2c (%s) | PyTorch %s | %s |" % (backend, torch[0]["framework"].split()[1] if torch else "?",
                                                    ort[0]["framework"].split(" (")[0] if ort else "ONNX Runtime"))
    w("| --- | ---: | ---: | ---: |")
    sg = gobench(go_txt, "Sgemm/%s/1024" % backend)
    tsg, osg = med([r["sgemm_1024_gflops"] for r in torch]), med([r["sgemm_1024_gflops"] for r in ort])
    pc = lambda x, p: "" if x is None or not p else " (%.0f %%)" % (100 * x / p)
    w("| SGEMM 1024³, GFLOP/s (%% of FMA peak) | %s%s | %s%s | %s%s |" % (
        fmt(sg), pc(sg, peak_f), fmt(tsg), pc(tsg, peak_f), fmt(osg), pc(osg, peak_f)))
    ig = gobench(go_txt, "IntGemm/%s/U8S8/1024" % backend)
    igp = gobench(go_txt, "IntGemm/%s/PackedMulU8/1024" % backend)
    tig, oig = med([r["int8_gemm_1024_gops"] for r in torch]), med([r["int8_gemm_1024_gops"] for r in ort])
    w("| int8 GEMM 1024³ u8×s8→s32, GOP/s (%% of VNNI peak) | %s%s; prepacked B %s%s | %s%s ¹ | %s%s ² |" % (
        fmt(ig, 0), pc(ig, peak_i), fmt(igp, 0), pc(igp, peak_i), fmt(tig, 0), pc(tig, peak_i), fmt(oig, 0), pc(oig, peak_i)))
    w("| int8 / float GEMM throughput | %s× | %s× | %s× |" % (
        fmt(ig / sg if ig and sg else None), fmt(tig / tsg if tig and tsg else None), fmt(oig / osg if oig and osg else None)))
    for name, title in (("resnet18", "ResNet-18 224×224"), ("vit", "ViT fixture 32×32"), ("fashion_cnn", "Fashion-MNIST CNN")):
        for b in sorted({int(k.split("_b")[-1]) for r in torch for k in r if k.startswith(name + "_b")}):
            key = "%s_b%d" % (name, b)
            rows = t2c(key)
            w("| %s, batch %d: p50 ms (images/s) | %s (%s) | %s (%s) | %s (%s) |" % (
                title, b,
                fmt(med([r["latency_ms_p50"] for r in rows]), 2), fmt(med([r["images_per_second"] for r in rows]), 0),
                fmt(tv(torch, key, "latency_ms_p50"), 2), fmt(tv(torch, key, "images_per_second"), 0),
                fmt(tv(ort, key, "latency_ms_p50"), 2), fmt(tv(ort, key, "images_per_second"), 0)))
    w("")
    if torch:
        w("¹ %s." % torch[0]["int8_gemm_how"])
    if ort:
        w("² %s." % ort[0]["int8_gemm_how"])

    int8 = t2c("int8")
    if int8:
        w("")
        w("ResNet-18 convolutions, batch 1, %s threads (`t2c bench --int8`; p50 per layer, median over rounds):" % threads)
        w("")
        w("| layer (count) | input C×H×W | K×R×S / stride | float32 ms | GFLOP/s | int8 ms | GOP/s | int8 speed-up |")
        w("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
        names = [l["name"] for l in int8[0]["layers"]]
        for i, name in enumerate(names):
            ls = [r["layers"][i] for r in int8]
            p = ls[0]["params"]
            ops = 2 * p["N"] * p["K"] * (p["C"] // p["Groups"]) * p["R"] * p["S"] * \
                ((p["H"] + p["PadT"] + p["PadB"] - p["DilH"] * (p["R"] - 1) - 1) // p["StrideH"] + 1) * \
                ((p["W"] + p["PadL"] + p["PadR"] - p["DilW"] * (p["S"] - 1) - 1) // p["StrideW"] + 1)
            f, q = med([l["float_ms_p50"] for l in ls]), med([l["int8_ms_p50"] for l in ls])
            w("| %s (%d) | %d×%d×%d | %d×%d×%d / %d | %.3f | %.0f | %.3f | %.0f | %.2f× |" % (
                name, ls[0]["count"], p["C"], p["H"], p["W"], p["K"], p["R"], p["S"], p["StrideH"],
                f, ops / f / 1e6, q, ops / q / 1e6, f / q))
        f = med([r["float_latency_ms_p50"] for r in int8])
        q = med([r["latency_ms_p50"] for r in int8])
        w("| all convolutions | | | %.2f | | %.2f | | %.2f× |" % (f, q, f / q))
    cont = os.path.join(work, "contention.txt")
    if os.path.exists(cont):
        n = sum(1 for _ in open(cont))
        w("")
        w("Note: %d measurement step(s) started while other processes were still using the CPUs "
          "(see contention.txt); medians over rounds damp, but do not remove, their effect." % n)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
