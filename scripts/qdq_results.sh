#!/bin/bash
# Writes the "QDQ ONNX in ONNX Runtime" section of docs/RESULTS.md: every
# ResNet-20 PTQ checkpoint (runs/ptq-results/resnet20-fashion-ptq-*, from
# scripts/ptq_results.sh) is exported with `t2c export-onnx --qdq` and its
# top-1 on the 10,000 Fashion-MNIST test images is measured three ways:
# `t2c eval` of the fake-quantized checkpoint, `t2c eval` of the QDQ ONNX
# file, and ONNX Runtime on the QDQ file (scripts/qdq_ort.js, with all graph
# optimisations and with none). Quantizers QDQ cannot express (MXINT
# blocks) get a row saying why.
#
# Needs Debian's dataset-fashion-mnist, node and onnxruntime-node installed
# outside the repository (see scripts/qdq_ort.js), passed as NODE_PATH:
#
#   cd "$(mktemp -d)" && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
#   NODE_PATH=$PWD/node_modules REPO/scripts/qdq_results.sh
#
# Missing W8A8/W4A4 checkpoints are made with `t2c ptq` (needs the trained
# runs/resnet20-fashion/model.safetensors). The section replaces an existing
# one, so rerun with TABLE_ONLY=1 after scripts/ptq_results.sh regenerates
# the page.
#
#   T2C=bin/t2c PTQ=runs/ptq-results OUT=runs/qdq-results scripts/qdq_results.sh
#   TABLE_ONLY=1 scripts/qdq_results.sh     # only rewrite the section from $OUT/*.json
set -euo pipefail
cd "$(dirname "$0")/.."

T2C=${T2C:-bin/t2c}
PTQ=${PTQ:-runs/ptq-results}
OUT=${OUT:-runs/qdq-results}
RESULTS=${RESULTS:-docs/RESULTS.md}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
mkdir -p "$OUT"

if [ -z "${TABLE_ONLY:-}" ]; then
	if ! node -e "require('onnxruntime-node')" 2>/dev/null; then
		echo "qdq_results: onnxruntime-node not found; install it outside the repository and set NODE_PATH (see scripts/qdq_ort.js)" >&2
		exit 1
	fi
	# A binary from before --qdq existed would fail late: rebuild it.
	if [ ! -x "$T2C" ] || ! "$T2C" export-onnx --help 2>/dev/null | grep -q -- --qdq; then
		mkdir -p "$(dirname "$T2C")"
		go build -o "$T2C" ./cmd/t2c
	fi
	for name in w8a8 w4a4; do
		ckpt="$PTQ/resnet20-fashion-ptq-$name/model.safetensors"
		if [ ! -f "$ckpt" ]; then
			echo "== t2c ptq resnet20-fashion-ptq-$name" >&2
			"$T2C" ptq --quiet --config "configs/resnet20-fashion-ptq-$name.yaml" --out "$PTQ/resnet20-fashion-ptq-$name" >&2
		fi
	done
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
	top1() { # t2c eval top-1 of a model on the full test set
		"$T2C" eval --quiet --json --model "$1" --data "fashion-mnist:$DATA" --batch 100 2>/dev/null |
			node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).top1))"
	}
	for dir in "$PTQ"/resnet20-fashion-ptq-*/; do
		dir=${dir%/}
		name=$(basename "$dir")
		ckpt="$dir/model.safetensors"
		[ -f "$ckpt" ] || continue
		echo "== $name" >&2
		onnx="$OUT/$name.qdq.onnx"
		if ! err=$("$T2C" export-onnx --quiet --model "$ckpt" --qdq --out "$onnx" 2>&1); then
			echo "$err" >&2
			node -e 'console.log(JSON.stringify({name: process.argv[1], error: process.argv[2]}))' "$name" "$err" >"$OUT/$name.json"
			continue
		fi
		fq=$(top1 "$ckpt")
		t2cqdq=$(top1 "$onnx")
		node scripts/qdq_ort.js --model "$onnx" --data "$DATA" --opt all >"$OUT/$name.ort-all.json"
		node scripts/qdq_ort.js --model "$onnx" --data "$DATA" --opt disabled >"$OUT/$name.ort-none.json"
		node -e '
			const fs = require("fs");
			const [name, commit, fq, t2cqdq, all, none] = process.argv.slice(1);
			const a = JSON.parse(fs.readFileSync(all)), n = JSON.parse(fs.readFileSync(none));
			console.log(JSON.stringify({name, commit, fake_quant_top1: +fq, t2c_qdq_top1: +t2cqdq,
				ort_top1: a.top1, ort_noopt_top1: n.top1, images: a.images, ort_version: a.ort_version}));
		' "$name" "$commit" "$fq" "$t2cqdq" "$OUT/$name.ort-all.json" "$OUT/$name.ort-none.json" >"$OUT/$name.json"
		cat "$OUT/$name.json" >&2
	done
fi

node - "$OUT" "$RESULTS" <<'EOF'
const fs = require('fs');
const path = require('path');
const [out, results] = process.argv.slice(2);

// The order of the PTQ table above; other checkpoints follow by name.
const order = ['w8a8', 'w4a4', 'w4a4-adaround', 'w4a4-qdrop', 'w8a8-smoothquant', 'mxint8', 'mxint4', 'w2a4-adaround'];
const rank = (r) => { const i = order.indexOf(r.name.replace('resnet20-fashion-ptq-', '')); return i < 0 ? order.length : i; };
const rows = fs.readdirSync(out).filter((f) => /^resnet20-fashion-ptq-[^.]*\.json$/.test(f)).sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(out, f))))
  .sort((a, b) => rank(a) - rank(b));
const pct = (x) => (100 * x).toFixed(2);
const ok = rows.filter((r) => !r.error);
const version = ok.length ? ok[0].ort_version : '?';
const images = ok.length ? ok[0].images.toLocaleString('en-US') : '?';
const commit = ok.length && ok[0].commit ? ok[0].commit : '?';

const L = [];
L.push('## QDQ ONNX in ONNX Runtime\n');
L.push(`Produced by \`scripts/qdq_results.sh\` on ${new Date().toISOString().slice(0, 10)}, t2c ${commit}, ONNX Runtime ${version} (onnxruntime-node).`);
L.push('Each ResNet-20 PTQ checkpoint above is exported with `t2c export-onnx --qdq` (QuantizeLinear/DequantizeLinear, int8 weight');
L.push(`initializers) and evaluated on the ${images} Fashion-MNIST test images: \`t2c eval\` of the fake-quantized checkpoint, \`t2c eval\``);
L.push('of the QDQ file, and ONNX Runtime on the QDQ file (`scripts/qdq_ort.js`, same normalisation) with all graph optimisations and');
L.push('with none. Δ is ONNX Runtime (all optimisations) minus t2c fake-quant, in percentage points.\n');
L.push('| Model | t2c fake-quant top-1 | t2c on QDQ ONNX | ORT top-1 | ORT top-1 (no optimisations) | Δ |');
L.push('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const label = 'ResNet-20 ' + r.name.replace('resnet20-fashion-ptq-', '').toUpperCase().replace('-ADAROUND', ' AdaRound').replace('-QDROP', ' QDrop');
  if (r.error) {
    const why = r.error.split('\n').filter(Boolean).pop().replace(/^.*: (?=[^:]*$)/, '').replace(/\|/g, '\\|');
    L.push(`| ${label} | | | | | not exported: ${why} |`);
    continue;
  }
  const d = 100 * (r.ort_top1 - r.fake_quant_top1);
  L.push(`| ${label} | ${pct(r.fake_quant_top1)} | ${pct(r.t2c_qdq_top1)} | ${pct(r.ort_top1)} | ${pct(r.ort_noopt_top1)} | ${d >= 0 ? '+' : ''}${d.toFixed(2)} |`);
}
if (ok.length) {
  const worst = Math.max(...ok.flatMap((r) => [r.ort_top1, r.ort_noopt_top1].map((x) => Math.abs(100 * (x - r.fake_quant_top1)))));
  L.push('');
  L.push(`Target: ORT within 0.1 % of t2c's fake-quant top-1: largest difference ${worst.toFixed(2)} points, ${worst <= 0.1 + 1e-9 ? 'met' : '**missed**'}.`);
  L.push('');
  L.push('t2c computes the same integers from the QDQ file as from the checkpoint (the two t2c columns agree exactly; `qdq`\'s');
  L.push('tests require bit-identical logits). Differences against ONNX Runtime are a few single images: its convolutions sum in another');
  L.push('order, so a value one float32 ulp from a rounding boundary (x/s = 2.4999998 against 2.5000002) quantizes one step apart,');
  L.push('and in a 4-bit network the step propagates to the logits of that image.');
}
L.push('');

// Replace the section if the page has it (up to the next "## " heading), else append it.
let page = fs.existsSync(results) ? fs.readFileSync(results, 'utf8') : '';
const start = page.indexOf('## QDQ ONNX in ONNX Runtime');
const section = L.join('\n');
if (start < 0) {
  page = page.replace(/\n*$/, '\n\n') + section;
} else {
  const next = page.indexOf('\n## ', start + 3);
  page = page.slice(0, start) + section + (next < 0 ? '' : page.slice(next + 1));
}
fs.writeFileSync(results, page);
console.error(`wrote the QDQ section of ${results}`);
EOF
