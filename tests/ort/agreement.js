#!/usr/bin/env node
'use strict';
// Runs a single-input model with ONNX Runtime over a stack of samples and counts how many
// output elements agree with another runtime's outputs within a tolerance:
//
//   node tests/ort/agreement.js MODEL.onnx INPUTS.npy OUTPUTS.npy --step S [--threads N]
//                               [--optimization all|disabled]
//
// --optimization disabled runs the graph as written (QDQ: DequantizeLinear, the float op,
// QuantizeLinear, exactly the ONNX semantics) instead of ONNX Runtime's fused integer kernels,
// whose u8 x s8 products saturate 16-bit sums on x86-64 CPUs without VNNI (ONNX Runtime's
// quantization documentation says so).
// INPUTS.npy stacks N samples along a new first axis: [N, ...model input shape];
// OUTPUTS.npy stacks the other runtime's first output for each: [N, ...model output shape].
// An element agrees when |ort - other| <= S * 1.0001 (S: one quantization step of the output).
// Prints one JSON line: {"samples", "elements", "agree", "fraction", "max_abs_diff",
// "max_steps"}. Exit codes: 0 printed; 1 ONNX Runtime failed; 2 bad usage or input.

const { NpyError, readNpy } = require('./npy.js');

class UsageError extends Error {}

function parseArgs(argv) {
  const args = { positional: [], step: null, threads: 1, optimization: 'all' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--step') {
      args.step = Number(argv[++i]);
      if (!Number.isFinite(args.step) || args.step <= 0) throw new UsageError('--step needs a positive number');
    } else if (argv[i] === '--threads') {
      args.threads = Number(argv[++i]);
      if (!Number.isInteger(args.threads) || args.threads < 1) throw new UsageError('--threads needs a positive integer');
    } else if (argv[i] === '--optimization') {
      args.optimization = argv[++i];
      if (args.optimization !== 'all' && args.optimization !== 'disabled') throw new UsageError('--optimization needs all or disabled');
    } else if (argv[i].startsWith('--')) {
      throw new UsageError(`unknown option ${argv[i]}`);
    } else {
      args.positional.push(argv[i]);
    }
  }
  if (args.positional.length !== 3 || args.step === null) {
    throw new UsageError('usage: agreement.js MODEL.onnx INPUTS.npy OUTPUTS.npy --step S [--threads N] [--optimization all|disabled]');
  }
  return args;
}

async function main(argv) {
  const args = parseArgs(argv);
  const [modelPath, inputsPath, outputsPath] = args.positional;
  const inputs = readNpy(inputsPath);
  const others = readNpy(outputsPath);
  const samples = inputs.shape[0];
  if (others.shape[0] !== samples) {
    throw new UsageError(`${inputsPath} has ${samples} samples, ${outputsPath} has ${others.shape[0]}`);
  }
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: args.optimization,
    executionMode: 'sequential',
    interOpNumThreads: 1,
    intraOpNumThreads: args.threads,
  });
  if (session.inputNames.length !== 1) throw new UsageError(`${modelPath}: expected one input`);
  const inputShape = [1, ...inputs.shape.slice(1)];
  const inputSize = inputs.data.length / samples;
  const outputSize = others.data.length / samples;
  let agree = 0;
  let maxAbs = 0;
  for (let s = 0; s < samples; s++) {
    const x = inputs.data.subarray(s * inputSize, (s + 1) * inputSize);
    const feeds = { [session.inputNames[0]]: new ort.Tensor(inputs.dtype, x, inputShape) };
    const result = await session.run(feeds);
    const y = result[session.outputNames[0]].data;
    if (y.length !== outputSize) {
      throw new UsageError(`sample ${s}: ONNX Runtime gives ${y.length} elements, the other runtime ${outputSize}`);
    }
    for (let i = 0; i < outputSize; i++) {
      const d = Math.abs(Number(y[i]) - Number(others.data[s * outputSize + i]));
      if (d <= args.step * 1.0001) agree++;
      if (d > maxAbs) maxAbs = d;
    }
  }
  const elements = samples * outputSize;
  process.stdout.write(`${JSON.stringify({
    samples, elements, agree, fraction: agree / elements, max_abs_diff: maxAbs, max_steps: maxAbs / args.step,
  })}\n`);
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`agreement: ${err.message}\n`);
  process.exit(err instanceof UsageError || err instanceof NpyError ? 2 : 1);
});
