#!/bin/bash
# Integer conversion results: `t2c convert` on the PTQ checkpoints of
# scripts/ptq_results.sh (runs/ptq-results/*/model.safetensors), for the
# ResNet-20 at W8A8/W4A4 in both fixed-point formats and the ViT at W8A8 with
# each implementation of softmax/GELU/LayerNorm. Prints a markdown table of
# fake-quant top-1, integer top-1 and agreement on the 10,000 Fashion-MNIST
# test images (docs/RESULTS.md, "Integer conversion").
#
#   scripts/convert_results.sh              # build t2c, run everything (~15 min on 2 cores)
#   TABLE_ONLY=1 scripts/convert_results.sh # only print the table from $OUT/*.json
set -euo pipefail
cd "$(dirname "$0")/.."

PTQ=${PTQ:-runs/ptq-results}
OUT=${OUT:-runs/convert-results}
mkdir -p "$OUT"
if [ -z "${T2C:-}" ]; then
	T2C="$OUT/t2c"
	go build -o "$T2C" ./cmd/t2c
fi

run() { # name checkpoint flags...
	local name=$1 ckpt=$2
	shift 2
	if [ -n "${TABLE_ONLY:-}" ] || [ -f "$OUT/$name.json" ]; then
		return
	fi
	if [ ! -f "$ckpt" ]; then
		echo "convert_results: $ckpt missing (scripts/ptq_results.sh); skipping $name" >&2
		return
	fi
	echo "== $name" >&2
	"$T2C" convert --model "$ckpt" --json "$@" >"$OUT/$name.json.tmp" 2>"$OUT/$name.log" && mv "$OUT/$name.json.tmp" "$OUT/$name.json"
}

for b in w8a8 w4a4 w4a4-adaround; do
	run "resnet20-$b-dyadic" "$PTQ/resnet20-fashion-ptq-$b/model.safetensors" --format dyadic
	run "resnet20-$b-fixed" "$PTQ/resnet20-fashion-ptq-$b/model.safetensors" --format fixed --swl 32 --sfl 26
done
for mode in float lut integer; do
	run "vit-w8a8-$mode" "$PTQ/vit-fashion-ptq-w8a8/model.safetensors" --softmax "$mode" --gelu "$mode" --layernorm "$mode"
done

python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
print("| model | quantization | multipliers | softmax / GELU / LayerNorm | integer-only | fake-quant top-1 | integer top-1 | agreement |")
print("| --- | --- | --- | --- | --- | ---: | ---: | ---: |")
for name in sorted(os.listdir(out)):
    if not name.endswith(".json"):
        continue
    d = json.load(open(os.path.join(out, name)))
    model, quant = name.split("-")[0], name[:-5].split("-", 1)[1].rsplit("-", 1)[0]
    quant = quant.upper().replace("-ADAROUND", " AdaRound+LSQ")
    nl = "—" if model == "resnet20" else f"{d['softmax']} / {d['gelu']} / {d['layernorm']}"
    print(f"| {model} | {quant} | {d['format']} | {nl} | {'yes' if d['integer_only'] else 'no'} | "
          f"{100*d['fakequant_top1']:.2f} | {100*d['integer_top1']:.2f} | {100*d['agreement']:.2f} |")
PY
