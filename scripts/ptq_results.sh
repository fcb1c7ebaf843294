#!/bin/bash
# Produces docs/RESULTS.md: `t2c ptq` on the trained Fashion-MNIST ResNet-20 and
# ViT for every configs/{resnet20,vit}-fashion-ptq-*.yaml, and PyTorch 1.13's
# own FX int8 post-training quantization of the same ResNet-20 on the same
# calibration images (scripts/torch_fx_ptq.py), side by side.
#
# Needs the trained float models (runs/resnet20-fashion/model.safetensors and
# runs/vit-fashion/model.safetensors, from `t2c train --config
# configs/resnet20-fashion.yaml` and `configs/vit-fashion.yaml`) and Debian's
# dataset-fashion-mnist. A missing model's rows are left empty.
#
#   scripts/ptq_results.sh                  # build t2c, run everything (~30-60 min on 2 cores)
#   T2C=bin/t2c OUT=runs/ptq scripts/ptq_results.sh
#   ONLY=resnet20 scripts/ptq_results.sh    # one model
#   TABLE_ONLY=1 scripts/ptq_results.sh     # only rebuild the page from $OUT/*.json
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-runs/ptq-results}
RESULTS=${RESULTS:-docs/RESULTS.md}
PY=${PY:-/usr/bin/python3}
mkdir -p "$OUT"
if [ -z "${T2C:-}" ]; then
	T2C="$OUT/t2c"
	go build -o "$T2C" ./cmd/t2c
fi

declare -A CKPT=([resnet20]=runs/resnet20-fashion/model.safetensors [vit]=runs/vit-fashion/model.safetensors)
for model in resnet20 vit; do
	if [ -n "${TABLE_ONLY:-}" ]; then
		break
	fi
	if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$model" ]; then
		continue
	fi
	if [ ! -f "${CKPT[$model]}" ]; then
		echo "ptq_results: ${CKPT[$model]} missing (t2c train --config configs/$model-fashion.yaml); skipping $model" >&2
		continue
	fi
	for cfg in configs/"$model"-fashion-ptq-*.yaml; do
		name=$(basename "$cfg" .yaml)
		echo "== $name" >&2
		"$T2C" ptq --quiet --config "$cfg" --out "$OUT/$name" --json >"$OUT/$name.json.tmp" 2>"$OUT/$name.log"
		mv "$OUT/$name.json.tmp" "$OUT/$name.json"
		grep -E "^float top-1" "$OUT/$name.log" >&2 || true
	done
done

if [ -z "${TABLE_ONLY:-}" ] && [ -f "${CKPT[resnet20]}" ] && [ "${ONLY:-resnet20}" = resnet20 ]; then
	echo "== PyTorch FX int8 PTQ of resnet20" >&2
	calib=$(awk '/calib_samples:/ {print $2; exit}' configs/resnet20-fashion-ptq-w8a8.yaml)
	"$PY" scripts/torch_fx_ptq.py --checkpoint "${CKPT[resnet20]}" --calib "${calib:-512}" >"$OUT/torch_fx_ptq.json" 2>"$OUT/torch_fx_ptq.log" ||
		echo "ptq_results: scripts/torch_fx_ptq.py failed, see $OUT/torch_fx_ptq.log" >&2
fi

"$PY" - "$OUT" "$RESULTS" <<'EOF'
import datetime, json, os, platform, subprocess, sys

out, results = sys.argv[1], sys.argv[2]

def load(name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

rows = [  # label, config suffix, which models
    ("W8A8 min-max", "w8a8"),
    ("W4A4 min-max", "w4a4"),
    ("W4A4 AdaRound + LSQ (reconstruction)", "w4a4-adaround"),
    ("W4A4 QDrop (AdaRound + QDrop-LSQ)", "w4a4-qdrop"),
    ("W8A8 SmoothQuant", "w8a8-smoothquant"),
    ("MXINT8 weights", "mxint8"),
    ("MXINT4 weights", "mxint4"),
    ("W2A4 AdaRound + LSQ (reconstruction)", "w2a4-adaround"),
]
models = ["resnet20", "vit"]
runs = {(m, s): load(f"{m}-fashion-ptq-{s}") for m in models for _, s in rows}
floats = {m: next((r["float_top1"] for (mm, _), r in runs.items() if mm == m and r), None) for m in models}
torch = load("torch_fx_ptq")

def pct(x):
    return "—" if x is None else f"{100 * x:.2f}"

def cells(r, m):
    if r is None:
        return ["—"] * 4
    d = 100 * (r["quant_top1"] - floats[m])
    return [pct(r["quant_top1"]), f"{d:+.2f}", pct(r["agreement"]), f"{r['calib_seconds']:.1f}"]

def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "?"

cpu = "?"
try:
    with open("/proc/cpuinfo") as f:
        cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
except (OSError, StopIteration):
    pass

L = []
L.append("# Post-training quantization results (Fashion-MNIST)\n")
L.append(f"Produced by `scripts/ptq_results.sh` on {datetime.date.today()}, t2c {commit()}, {cpu} ({os.cpu_count()} threads).")
any_run = next((r for r in runs.values() if r), torch or {})
test_images = any_run.get("test_images", "?")
calib_images = any_run.get("calib_images", "?")
L.append(f"Top-1 accuracy on the {test_images:,} Fashion-MNIST test images of the trained float models (`configs/resnet20-fashion.yaml`,"
         if isinstance(test_images, int) else "Top-1 accuracy on the Fashion-MNIST test images of the trained float models (`configs/resnet20-fashion.yaml`,")
L.append("`configs/vit-fashion.yaml`) quantized by `t2c ptq --config configs/<model>-fashion-ptq-<method>.yaml`; calibration on the")
L.append(f"first {calib_images} training images. Δ is the change against the float model in percentage points; agreement is the share of")
L.append("test images whose predicted class is unchanged; calibration time covers observing and reconstruction (not evaluation).")
L.append("Low-bit rows keep the first and last layers at 8 bits; MXINT rows quantize weights only (blocks of 32, activations float).\n")
L.append("| Method | ResNet-20 top-1 | Δ | agreement | calib (s) | ViT top-1 | Δ | agreement | calib (s) |")
L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
L.append(f"| float | {pct(floats['resnet20'])} | | | | {pct(floats['vit'])} | | | |")
for label, s in rows:
    if all(runs[(m, s)] is None for m in models):
        continue
    c = cells(runs[("resnet20", s)], "resnet20") + cells(runs[("vit", s)], "vit")
    L.append(f"| {label} | " + " | ".join(c) + " |")
if torch:
    d = 100 * (torch["quant_top1"] - torch["float_top1"])
    L.append(f"| PyTorch {torch['torch_version']} FX int8 PTQ ({torch['qconfig']} qconfig, {torch['engine']} engine) | "
             f"{pct(torch['quant_top1'])} | {d:+.2f} | {pct(torch['agreement'])} | {torch['calib_seconds']:.1f} | | | | |")
L.append("")
if torch and floats["resnet20"] is not None:
    L.append(f"PyTorch evaluates the same float ResNet-20 at {pct(torch['float_top1'])} % (t2c: {pct(floats['resnet20'])} %).\n")

L.append("## Targets\n")
def target(m, s, tol, what):
    r = runs.get((m, s))
    if r is None or floats[m] is None:
        return f"- {what}: not run"
    d = 100 * (floats[m] - r["quant_top1"])
    ok = "met" if d <= tol else "**missed**"
    return f"- {what}: {pct(r['quant_top1'])} % vs float {pct(floats[m])} % (drop {d:.2f} points, target ≤ {tol}): {ok}"
L.append(target("resnet20", "w8a8", 0.3, "ResNet-20 W8A8 within 0.3 % of float"))
L.append(target("vit", "w8a8", 0.3, "ViT W8A8 within 0.3 % of float"))
L.append(target("resnet20", "w4a4-adaround", 1.5, "ResNet-20 W4A4 AdaRound + LSQ within 1.5 % of float"))
L.append("")

for m, title in [("resnet20", "ResNet-20"), ("vit", "ViT")]:
    r = runs.get((m, "w4a4-adaround"))
    if not r:
        continue
    L.append(f"## {title} W4A4 AdaRound + LSQ, per layer\n")
    L.append("Error of each quantized layer's output in the fake-quantized network against the float network on the calibration")
    L.append("images (errors of earlier layers included), after observer calibration and after reconstruction.\n")
    L.append("| layer | W/A | MSE before | MSE after | SQNR before (dB) | SQNR after (dB) |")
    L.append("|---|---|---:|---:|---:|---:|")
    for l in r["layers"]:
        L.append(f"| {l['name']} | {l['wbit']}/{l['abit']} | {l['mse_before']:.4g} | {l['mse_after']:.4g} | {l['sqnr_before_db']:.2f} | {l['sqnr_after_db']:.2f} |")
    L.append("")

# Sections other scripts maintain (integer conversion, QDQ in ONNX Runtime,
# pruning) follow the PTQ part of the page: keep them.
tail = ""
try:
    with open(results) as f:
        old = f.read()
    starts = [old.find(h) for h in ("\n## Integer conversion", "\n## QDQ ONNX", "\n## Pruning") if h in old]
    if starts:
        tail = old[min(starts):]
except OSError:
    pass
os.makedirs(os.path.dirname(results) or ".", exist_ok=True)
with open(results, "w") as f:
    f.write("\n".join(L) + tail)
print(f"wrote {results}", file=sys.stderr)
EOF
