#!/usr/bin/env node
'use strict';
// Min and max of every output of an ONNX model over a set of input samples, run with ONNX
// Runtime (onnxruntime-node). tools/export_qdq.py uses it for calibration: it adds the tensors it
// wants ranges for as extra graph outputs and passes one folder per sample.
//
//   node tools/ort_ranges.js MODEL.onnx SAMPLE_DIR...
//
// Each SAMPLE_DIR holds one .npy file per model input, named <input index>.npy (0.npy, 1.npy, ...
// in the order of the model's inputs). Prints one JSON object to stdout:
//   {"samples": N, "ranges": {"<output name>": [min, max], ...}}
// NaN values are skipped; an output with no finite value gets [null, null].
// Sessions use graph optimization level "basic" (constant folding and redundant-node removal
// only), so the extra outputs are computed by the graph as written.
// Exit codes: 0 success; 1 ONNX Runtime failed; 2 bad usage or input.

const path = require('node:path');
const { NpyError, readNpy } = require('../tests/ort/npy.js');

class UsageError extends Error {}

async function main(argv) {
  if (argv.length < 2 || argv.includes('-h') || argv.includes('--help')) {
    throw new UsageError('usage: ort_ranges.js MODEL.onnx SAMPLE_DIR...');
  }
  const [modelPath, ...sampleDirs] = argv;
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    throw new UsageError(`cannot load onnxruntime-node (${e.message.split('\n')[0]}); run ` +
                         `'npm ci --ignore-scripts' at the repository root`);
  }
  let session;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: 'basic',
      executionMode: 'sequential',
      interOpNumThreads: 1,
      intraOpNumThreads: 1, // same ranges on every machine
    });
  } catch (e) {
    throw new UsageError(`${modelPath}: ONNX Runtime cannot load the model: ${e.message}`);
  }
  const ranges = {};
  for (const name of session.outputNames) ranges[name] = [Infinity, -Infinity];
  for (const dir of sampleDirs) {
    const feeds = {};
    session.inputNames.forEach((name, i) => {
      const t = readNpy(path.join(dir, `${i}.npy`));
      feeds[name] = new ort.Tensor(t.dtype, t.data, t.shape);
    });
    let outputs;
    try {
      outputs = await session.run(feeds);
    } catch (e) {
      process.stderr.write(`ort_ranges: ${modelPath}: ONNX Runtime failed to run: ${e.message}\n`);
      process.exit(1);
    }
    for (const name of session.outputNames) {
      const data = outputs[name].data;
      const r = ranges[name];
      for (let i = 0; i < data.length; i++) {
        const v = Number(data[i]);
        if (v < r[0]) r[0] = v;
        if (v > r[1]) r[1] = v;
      }
    }
  }
  for (const r of Object.values(ranges)) {
    if (!Number.isFinite(r[0]) || !Number.isFinite(r[1])) {
      r[0] = Number.isFinite(r[0]) ? r[0] : null;
      r[1] = Number.isFinite(r[1]) ? r[1] : null;
    }
  }
  await session.release();
  process.stdout.write(`${JSON.stringify({ samples: sampleDirs.length, ranges })}\n`);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`ort_ranges: ${e.message}\n`);
  process.exit(e instanceof UsageError || e instanceof NpyError || e.code === 'ENOENT' ? 2 : 1);
});
