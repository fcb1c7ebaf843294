// Top-1 accuracy of an ONNX classifier (a QDQ model from
// `t2c export-onnx --qdq`) in ONNX Runtime on the Fashion-MNIST test set,
// for docs/RESULTS.md's "QDQ ONNX in ONNX Runtime" (scripts/qdq_results.sh).
//
// Images are read from Debian's dataset-fashion-mnist IDX files and
// normalised exactly as t2c's fashion-mnist preset does, in float32:
// x = (p/255 − 0.2860)/0.3530 (Math.fround after each step gives the same
// bits as t2c's float32 arithmetic, since a double result of one float32
// operation rounds correctly to float32). The predicted class is the first
// maximum logit, as in t2c eval.
//
// onnxruntime-node is installed outside the repository:
//
//   cd "$(mktemp -d)" && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
//   NODE_PATH=$PWD/node_modules node REPO/scripts/qdq_ort.js --model m.onnx [--opt all|extended|basic|disabled]
//       [--data DIR] [--limit N] [--batch 500] [--threads 2] [--preds FILE]
//
// Prints one JSON object: model, opt, images, top1, ORT version, seconds.

'use strict';
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');
const ort = require('onnxruntime-node');

// t2c's fashion-mnist preset (data/spec.go).
const MEAN = Math.fround(0.2860);
const STD = Math.fround(0.3530);

function parseArgs() {
  const a = { data: '/usr/share/datasets/fashion-mnist', opt: 'all', batch: 500, threads: 2, limit: 0 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in a) && !['model', 'preds'].includes(k)) throw new Error(`unknown flag --${k}`);
    a[k] = ['batch', 'threads', 'limit'].includes(k) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!a.model) throw new Error('--model is required');
  return a;
}

// readIDX returns the dims and the bytes of a (gzipped) IDX file of unsigned bytes.
function readIDX(file) {
  let buf = fs.readFileSync(file);
  if (file.endsWith('.gz')) buf = zlib.gunzipSync(buf);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error(`${file}: not an unsigned-byte IDX file`);
  const rank = buf[3];
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return { dims, bytes: buf.subarray(4 + 4 * rank) };
}

function openIDX(dir, name) {
  for (const f of [name + '.gz', name]) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) return readIDX(p);
  }
  throw new Error(`${name}(.gz) not found in ${dir} (install Debian's dataset-fashion-mnist)`);
}

async function main() {
  const a = parseArgs();
  const images = openIDX(a.data, 't10k-images-idx3-ubyte');
  const labels = openIDX(a.data, 't10k-labels-idx1-ubyte');
  const [count, h, w] = images.dims;
  const n = a.limit > 0 ? Math.min(a.limit, count) : count;
  const plane = h * w;

  const session = await ort.InferenceSession.create(a.model, {
    graphOptimizationLevel: a.opt, intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const input = session.inputNames[0];
  const output = session.outputNames[0];

  const preds = new Int32Array(n);
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let lo = 0; lo < n; lo += a.batch) {
    const b = Math.min(a.batch, n - lo);
    const x = new Float32Array(b * plane);
    for (let i = 0; i < b * plane; i++) {
      const v = Math.fround(images.bytes[lo * plane + i] / 255);
      x[i] = Math.fround(Math.fround(v - MEAN) / STD);
    }
    const res = await session.run({ [input]: new ort.Tensor('float32', x, [b, 1, h, w]) });
    const y = res[output];
    const classes = y.dims[1];
    for (let i = 0; i < b; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (y.data[i * classes + c] > y.data[i * classes + best]) best = c;
      }
      preds[lo + i] = best;
      if (best === labels.bytes[lo + i]) hits++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (a.preds) fs.writeFileSync(a.preds, Array.from(preds).join('\n') + '\n');
  const pkg = JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8'));
  console.log(JSON.stringify({
    model: a.model, opt: a.opt, images: n, top1: hits / n, ort_version: pkg.version, seconds,
  }));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
