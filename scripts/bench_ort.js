// ONNX Runtime side of the benchmark table in docs/PERFORMANCE.md.
//
// Measures with intraOpNumThreads = --threads (sequential execution, all
// graph optimisations): a 1024^3 MatMul (GFLOP/s), a 1024^3 MatMulInteger
// uint8 x int8 -> int32 (GOP/s), ResNet-18 at batches 1 and 16, the ViT
// fixture at 1 and 64 and the Fashion-MNIST CNN at 1 and 256 (latency
// percentiles, images/s). The MatMul models and resnet18.onnx come from
// scripts/bench_torch.py in --workdir.
//
// onnxruntime-node is installed outside the repository:
//
//   cd "$(mktemp -d)" && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
//   NODE_PATH=$PWD/node_modules node REPO/scripts/bench_ort.js --workdir W --repo REPO --out W/ort.json

'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function parseArgs() {
  const a = { threads: 2, warmup: 5, iters: 30 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    a[k] = ['threads', 'warmup', 'iters'].includes(k) ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const k of ['workdir', 'repo', 'out']) {
    if (!a[k]) throw new Error(`--${k} is required`);
  }
  return a;
}

function pct(xs, p) { // nearest rank
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1))];
}

async function times(session, feeds, warmup, iters) {
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const ts = [];
  for (let i = 0; i < iters; i++) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    ts.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return ts;
}

function randn(n) { // Box-Muller, deterministic enough for timing
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.random() || 1e-12, v = Math.random();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

async function main() {
  const a = parseArgs();
  const opts = { intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const pkg = JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8'));
  const res = { framework: `ONNX Runtime ${pkg.version} (onnxruntime-node)`, threads: a.threads };
  const median = (ts) => pct(ts, 50);

  const n = 1024;
  let s = await ort.InferenceSession.create(path.join(a.workdir, 'matmul1024.onnx'), opts);
  let ts = await times(s, { a: new ort.Tensor('float32', randn(n * n), [n, n]), b: new ort.Tensor('float32', randn(n * n), [n, n]) }, 3, 20);
  res.sgemm_1024_gflops = 2 * n ** 3 / median(ts) / 1e9;

  s = await ort.InferenceSession.create(path.join(a.workdir, 'matmulinteger1024.onnx'), opts);
  const au = new Uint8Array(n * n).map(() => Math.floor(Math.random() * 256));
  const bs = new Int8Array(n * n).map(() => Math.floor(Math.random() * 256) - 128);
  ts = await times(s, { a: new ort.Tensor('uint8', au, [n, n]), b: new ort.Tensor('int8', bs, [n, n]) }, 3, 20);
  res.int8_gemm_1024_gops = 2 * n ** 3 / median(ts) / 1e9;
  res.int8_gemm_how = 'MatMulInteger uint8 x int8 -> int32 (both operands as inputs)';

  const models = {
    resnet18: [path.join(a.workdir, 'resnet18.onnx'), [3, 224, 224], [1, 16]],
    vit: [path.join(a.repo, 'testdata/pytorch/vit.onnx'), [3, 32, 32], [1, 64]],
    fashion_cnn: [path.join(a.repo, 'testdata/pytorch/fashion/cnn.onnx'), [1, 28, 28], [1, 256]],
  };
  for (const [name, [file, chw, batches]] of Object.entries(models)) {
    s = await ort.InferenceSession.create(file, opts);
    for (const b of batches) {
      const shape = [b, ...chw];
      const x = new ort.Tensor('float32', randn(shape.reduce((p, q) => p * q, 1)), shape);
      const iters = b === 1 ? a.iters : Math.max(5, Math.floor(a.iters / 3));
      ts = await times(s, { [s.inputNames[0]]: x }, a.warmup, iters);
      res[`${name}_b${b}`] = {
        batch: b, latency_ms_p50: pct(ts, 50) * 1e3, latency_ms_p90: pct(ts, 90) * 1e3,
        images_per_second: b / (ts.reduce((p, q) => p + q, 0) / ts.length),
      };
    }
  }
  fs.writeFileSync(a.out, JSON.stringify(res, null, 1));
  console.log(JSON.stringify(res, null, 1));
}

main().catch((e) => { console.error(e); process.exit(1); });
