#!/usr/bin/env bash
# Reproduces the tables of docs/PERFORMANCE.md: t2c against PyTorch 1.13 and
# ONNX Runtime on this machine with the same thread count.
#
#   scripts/bench_all.sh [WORKDIR]
#
# Environment: THREADS (default 2), ROUNDS (default 3: every framework is run
# once per round, interleaved, and the report takes medians over rounds, so
# that load from other processes hits all of them alike), PYTHON (default
# /usr/bin/python3, Debian's with torch 1.13; install libopenblas0-openmp so
# torch does not use the reference BLAS), ORT_DIR (a directory whose
# node_modules holds onnxruntime-node; default: installed into WORKDIR),
# SETTLE (default 300: before each measurement wait up to this many seconds
# for the machine to be idle — under 5 % CPU busy over one second — and note
# in WORKDIR/contention.txt when it never was; 0 skips the wait — e.g. when
# running the whole script under `nice -n -20` next to long jobs).
#
# Everything generated — exported models (resnet18.onnx is 45 MB), npm
# packages, JSON results, the table — goes to WORKDIR (default: mktemp -d),
# never into the repository.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-3}"
py="${PYTHON:-/usr/bin/python3}"
mkdir -p "$work"
settle_max="${SETTLE:-300}"

# settle waits until other processes leave the CPUs idle (see SETTLE).
settle() {
	local i busy total u1 n1 s1 i1 w1 x1 y1 z1 u2 n2 s2 i2 w2 x2 y2 z2 rest
	((settle_max > 0)) || return 0
	for ((i = 0; i < settle_max; i++)); do
		read -r _ u1 n1 s1 i1 w1 x1 y1 z1 rest </proc/stat
		sleep 1
		read -r _ u2 n2 s2 i2 w2 x2 y2 z2 rest </proc/stat
		busy=$(((u2 + n2 + s2 + x2 + y2 + z2) - (u1 + n1 + s1 + x1 + y1 + z1)))
		total=$((busy + i2 + w2 - i1 - w1))
		if ((total > 0 && busy * 100 / total < 5)); then
			return 0
		fi
	done
	echo "$(date -Is) $1: machine still busy after ${settle_max}s" | tee -a "$work/contention.txt" >&2
}

echo "bench_all: work directory $work, $threads threads, $rounds rounds" >&2

if [ -z "${ORT_DIR:-}" ]; then
	ORT_DIR="$work/ort"
	if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
		mkdir -p "$ORT_DIR"
		(cd "$ORT_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund onnxruntime-node >&2)
	fi
fi

(cd "$repo" && go build -o "$work/t2c" ./cmd/t2c && go test -c -o "$work/kernels.test" ./kernels)
settle peak
"$work/kernels.test" -test.run '^$' -test.bench '^BenchmarkPeak$' -test.cpu "$threads" -test.count 3 >"$work/peak.txt"
lscpu >"$work/lscpu.txt" 2>/dev/null || true

# name file batch iterations
models=(
	"resnet18 $work/resnet18.onnx 1 40"
	"resnet18 $work/resnet18.onnx 16 8"
	"vit $repo/testdata/pytorch/vit.onnx 1 200"
	"vit $repo/testdata/pytorch/vit.onnx 64 40"
	"fashion_cnn $repo/testdata/pytorch/fashion/cnn.onnx 1 200"
	"fashion_cnn $repo/testdata/pytorch/fashion/cnn.onnx 256 20"
)
for r in $(seq "$rounds"); do
	echo "bench_all: round $r: PyTorch" >&2
	settle "round $r torch"
	"$py" "$repo/scripts/bench_torch.py" --threads "$threads" --workdir "$work" --out "$work/torch.$r.json" >/dev/null
	echo "bench_all: round $r: ONNX Runtime" >&2
	settle "round $r ort"
	NODE_PATH="$ORT_DIR/node_modules" node "$repo/scripts/bench_ort.js" --threads "$threads" \
		--workdir "$work" --repo "$repo" --out "$work/ort.$r.json" >/dev/null
	echo "bench_all: round $r: t2c" >&2
	for m in "${models[@]}"; do
		read -r name file batch iters <<<"$m"
		settle "round $r t2c $name b$batch"
		"$work/t2c" bench --quiet --threads "$threads" --model "$file" --batch "$batch" --iters "$iters" --warmup 5 --json \
			>"$work/t2c.$r.${name}_b$batch.json" 2>>"$work/t2c.log"
	done
	settle "round $r t2c int8"
	"$work/t2c" bench --quiet --threads "$threads" --model "$work/resnet18.onnx" --int8 --iters 20 --json >"$work/t2c.$r.int8.json" 2>>"$work/t2c.log"
	settle "round $r gemm"
	"$work/kernels.test" -test.run '^$' -test.cpu "$threads" -test.count 3 \
		-test.bench '^BenchmarkSgemm$/./^1024$' >"$work/gobench.$r.txt"
	"$work/kernels.test" -test.run '^$' -test.cpu "$threads" -test.count 3 \
		-test.bench '^BenchmarkIntGemm$/./^(U8S8|PackedMulU8)$/^1024$' >>"$work/gobench.$r.txt"
done
"$py" "$repo/scripts/bench_report.py" "$work" | tee "$work/table.md"
