#!/usr/bin/env node
'use strict';
// Runs an ONNX model with ONNX Runtime (the onnxruntime-node package) as an external oracle for
// edgebench, mirroring `edgebench run`:
//
//   node tests/ort/run_ort.js MODEL.onnx OUT_DIR [NAME=IN.npy ...] [--threads N] [--repeat N]
//                             [--warmup N] [--random-seed N]
//
// Every model input must be given as NAME=FILE.npy unless --random-seed is set, which fills the
// missing ones (see randomTensor below; the values differ from edgebench's own --random-seed,
// so pass the same .npy files to both tools when comparing outputs). The first run writes one
// OUT_DIR/<output name>.npy per model output, characters outside [A-Za-z0-9._-] replaced by '_'.
// With --repeat N, --warmup more runs (default 0) and then N timed runs follow, and a JSON line
// with min/median/mean/max milliseconds per run goes to stdout; messages go to stderr.
// Sessions use graph optimization level "all", sequential execution, one inter-op thread and
// --threads intra-op threads (ONNX Runtime's default when not given).
//
// Exit codes: 0 success; 1 ONNX Runtime failed while running; 2 bad usage or bad input (an
// unreadable or malformed .npy, a model that does not load, inputs that do not match it).
//
// Needs `npm install --ignore-scripts` at the repository root (see package.json).

const fs = require('node:fs');
const path = require('node:path');
const { NpyError, DTYPES, readNpy, writeNpy } = require('./npy.js');

const USAGE =
  'usage: run_ort.js MODEL.onnx OUT_DIR [NAME=IN.npy ...] [--threads N] [--repeat N] ' +
  '[--warmup N] [--random-seed N]';

class UsageError extends Error {} // bad input: exit 2
class CommandLineError extends UsageError {} // bad command line: exit 2 and print the usage
class RunError extends Error {} // ONNX Runtime failed: exit 1

function parseCount(flag, value, min) {
  if (value === undefined || !/^[0-9]+$/.test(value)) {
    throw new CommandLineError(`${flag} needs a non-negative integer, got ${value === undefined ? 'nothing' : `'${value}'`}`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new CommandLineError(`${flag} must be at least ${min}, got ${value}`);
  return n;
}

function parseArgs(argv) {
  const args = { positional: [], inputs: new Map(), threads: 0, repeat: 0, warmup: 0, seed: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const flag = arg.startsWith('--') ? arg.split('=', 1)[0] : null;
    const inlineValue = flag && arg.includes('=') ? arg.slice(flag.length + 1) : undefined;
    const value = () => (inlineValue !== undefined ? inlineValue : argv[++i]);
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (flag === '--threads') {
      args.threads = parseCount('--threads', value(), 1);
    } else if (flag === '--repeat') {
      args.repeat = parseCount('--repeat', value(), 1);
    } else if (flag === '--warmup') {
      args.warmup = parseCount('--warmup', value(), 0);
    } else if (flag === '--random-seed') {
      args.seed = parseCount('--random-seed', value(), 0);
    } else if (flag !== null) {
      throw new CommandLineError(`unknown option ${arg}`);
    } else if (args.positional.length < 2) {
      args.positional.push(arg);
    } else {
      const eq = arg.indexOf('=');
      if (eq <= 0 || eq === arg.length - 1) throw new CommandLineError(`expected NAME=FILE.npy, got '${arg}'`);
      const name = arg.slice(0, eq);
      if (args.inputs.has(name)) throw new CommandLineError(`input '${name}' given twice`);
      args.inputs.set(name, arg.slice(eq + 1));
    }
  }
  if (args.positional.length < 2) throw new CommandLineError('MODEL.onnx and OUT_DIR are required');
  return args;
}

function safeFileName(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

// splitmix64: a small, well-known generator so that a seed means the same values everywhere.
function makeRandom(seed) {
  let state = BigInt.asUintN(64, BigInt(seed));
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53; // uniform in [0, 1)
  };
}

// Floats uniform in [-1, 1), integers uniform in [0, 10), bools 0/1 (float16 as float16 bits).
function randomTensor(meta, next) {
  const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
  if (dims.includes(null)) {
    throw new UsageError(
      `input '${meta.name}' has a symbolic shape [${meta.shape}]; give it as ${meta.name}=FILE.npy`);
  }
  const info = DTYPES[meta.type];
  if (!info) throw new UsageError(`input '${meta.name}' has type ${meta.type}, which --random-seed cannot fill`);
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new info.array(count);
  for (let i = 0; i < count; i++) {
    const u = next();
    if (meta.type === 'float16') data[i] = floatToHalfBits(u * 2 - 1);
    else if (meta.type.startsWith('float')) data[i] = u * 2 - 1;
    else if (meta.type === 'bool') data[i] = u < 0.5 ? 0 : 1;
    else if (info.array === BigInt64Array || info.array === BigUint64Array) data[i] = BigInt(Math.floor(u * 10));
    else data[i] = Math.floor(u * 10);
  }
  return { dtype: meta.type, shape: dims, data };
}

function floatToHalfBits(value) {
  // Only used for random inputs in [-1, 1): round via float32 then to the nearest half.
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs < 0x38800000) return sign | Math.round(new Float32Array(new Uint32Array([abs]).buffer)[0] * 2 ** 24);
  let half = (abs >>> 13) - (112 << 10);
  const rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    throw new UsageError(
      `cannot load onnxruntime-node (${e.message.split('\n')[0]}); run 'npm install --ignore-scripts' at the repository root`);
  }
}

function statistics(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { min_ms: sorted[0], median_ms: median, mean_ms: mean, max_ms: sorted[sorted.length - 1] };
}

async function main(argv) {
  const args = parseArgs(argv);
  const [modelPath, outDir] = args.positional;
  if (!fs.existsSync(modelPath)) throw new UsageError(`${modelPath}: model file not found`);

  // Read all inputs before starting ONNX Runtime so that bad files fail fast.
  const given = new Map();
  for (const [name, file] of args.inputs) given.set(name, readNpy(file));

  const ort = loadOrt();
  const options = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    intraOpNumThreads: args.threads,
  };
  let session;
  try {
    session = await ort.InferenceSession.create(modelPath, options);
  } catch (e) {
    throw new UsageError(`${modelPath}: ONNX Runtime cannot load the model: ${e.message}`);
  }

  const metadata = new Map((session.inputMetadata || []).map((m) => [m.name, m]));
  for (const name of given.keys()) {
    if (!session.inputNames.includes(name)) {
      throw new UsageError(`input '${name}' is not an input of ${modelPath} (inputs: ${session.inputNames.join(', ')})`);
    }
  }
  const next = args.seed === null ? null : makeRandom(args.seed);
  const feeds = {};
  for (const name of session.inputNames) {
    let tensor = given.get(name);
    const meta = metadata.get(name);
    if (!tensor) {
      if (!next || !meta) {
        throw new UsageError(`missing input '${name}' (give ${name}=FILE.npy or --random-seed N)`);
      }
      tensor = randomTensor(meta, next);
    }
    if (meta && meta.isTensor && meta.type !== tensor.dtype) {
      throw new UsageError(`input '${name}': the model expects ${meta.type}, the file holds ${tensor.dtype}`);
    }
    // An empty metadata shape means "unknown" (or a scalar, which ONNX Runtime checks itself).
    if (meta && meta.isTensor && meta.shape.length > 0) {
      const fits = meta.shape.length === tensor.shape.length &&
        meta.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === tensor.shape[i]);
      if (!fits) {
        throw new UsageError(
          `input '${name}': the model expects shape [${meta.shape}], the file holds [${tensor.shape}]`);
      }
    }
    feeds[name] = new ort.Tensor(tensor.dtype, tensor.data, tensor.shape);
  }

  let outputs;
  try {
    outputs = await session.run(feeds);
  } catch (e) {
    throw new RunError(`${modelPath}: ONNX Runtime failed to run: ${e.message}`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const written = new Map();
  for (const name of session.outputNames) {
    const value = outputs[name];
    if (!DTYPES[value.type]) throw new RunError(`output '${name}' has type ${value.type}, which .npy output does not support`);
    const file = `${safeFileName(name)}.npy`;
    if (written.has(file)) throw new RunError(`outputs '${written.get(file)}' and '${name}' both map to ${file}`);
    written.set(file, name);
    let data = value.data;
    // Newer runtimes hand out Float16Array for float16; .npy stores the raw bits.
    if (value.type === 'float16' && !(data instanceof Uint16Array)) {
      data = new Uint16Array(data.buffer, data.byteOffset, data.length);
    }
    writeNpy(path.join(outDir, file), value.type, value.dims.map(Number), data);
  }

  if (args.repeat > 0) {
    for (let i = 0; i < args.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < args.repeat; i++) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const report = {
      runtime: 'onnxruntime-node',
      version: ort.env.versions ? ort.env.versions.node : undefined,
      model: modelPath,
      threads: args.threads || 'default',
      warmup: args.warmup,
      repeat: args.repeat,
      ...statistics(times),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  await session.release();
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    if (e instanceof UsageError || e instanceof NpyError) {
      process.stderr.write(`run_ort: ${e.message}\n`);
      if (e instanceof CommandLineError) process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`run_ort: ${e instanceof RunError ? e.message : e.stack}\n`);
    process.exit(1);
  });
