'use strict';
// Tests for npy.js and run_ort.js. Run with `node --test tests/ort/` (or `npm run test:ort`).
// onnxruntime-node must be installed (`npm ci --ignore-scripts`); the tests fail without it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { NpyError, DTYPES, parseNpy, readNpy, serializeNpy, writeNpy } = require('./npy.js');

const RUN_ORT = path.join(__dirname, 'run_ort.js');

test('onnxruntime-node is installed (npm ci --ignore-scripts)', () => {
  assert.doesNotThrow(() => require.resolve('onnxruntime-node'));
});

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'edgebench-ort-test-'));
}

// ---- npy.js ------------------------------------------------------------------------------

// Files written by NumPy 1.24 (the same images as tests/core/npy_test.cc).
const NUMPY_F32_2X3 = Buffer.from(
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73' +
  '652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020' +
  '202020202020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040' +
  '000080400000a040', 'hex');
const NUMPY_I64_V2 = Buffer.from(
  '934e554d50590200740000007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a204661' +
  '6c73652c20277368617065273a2028312c2032292c207d20202020202020202020202020202020202020202020202020' +
  '202020202020202020202020202020202020202020202020202020202020200affffffffffffffff0000000000010000', 'hex');
const NUMPY_F64_SCALAR = Buffer.from(
  '934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73' +
  '652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020' +
  '202020202020202020202020202020202020202020202020202020202020200a0000000000000c40', 'hex');

function image(major, header, data = Buffer.alloc(0)) {
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const len = Buffer.alloc(major === 1 ? 2 : 4);
  if (major === 1) len.writeUInt16LE(header.length);
  else len.writeUInt32LE(header.length);
  return Buffer.concat([pre, len, Buffer.from(header, 'latin1'), data]);
}

function hdr(descr, shape, fortran = 'False') {
  return `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;
}

test('npy.js reads NumPy files', () => {
  const a = parseNpy(NUMPY_F32_2X3, 'a.npy');
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data), [0, 1, 2, 3, 4, 5]);
  const b = parseNpy(NUMPY_I64_V2, 'b.npy');
  assert.equal(b.dtype, 'int64');
  assert.deepEqual(Array.from(b.data), [-1n, 2n ** 40n]);
  const c = parseNpy(NUMPY_F64_SCALAR, 'c.npy');
  assert.deepEqual(c.shape, []);
  assert.deepEqual(Array.from(c.data), [3.5]);
});

test('npy.js writes exactly what NumPy writes', () => {
  assert.deepEqual(serializeNpy('float32', [2, 3], [0, 1, 2, 3, 4, 5]), NUMPY_F32_2X3);
  // NumPy wrote this one as version 2.0; we write 1.0, so compare the data bytes.
  const i64 = serializeNpy('int64', [1, 2], [-1n, 2n ** 40n]);
  assert.deepEqual(i64.subarray(i64.length - 16), NUMPY_I64_V2.subarray(NUMPY_I64_V2.length - 16));
  assert.deepEqual(serializeNpy('float64', [], [3.5]), NUMPY_F64_SCALAR);
});

test('npy.js round-trips every dtype and 0-d / empty shapes', () => {
  for (const [dtype, info] of Object.entries(DTYPES)) {
    for (const shape of [[], [0], [3], [2, 0, 4], [2, 3]]) {
      const count = shape.reduce((x, y) => x * y, 1);
      const data = new info.array(count);
      for (let i = 0; i < count; i++) {
        const v = dtype === 'bool' ? i % 2 : (i * 7 + 1) % 100;
        data[i] = info.array === BigInt64Array || info.array === BigUint64Array ? BigInt(v) : v;
      }
      const back = parseNpy(serializeNpy(dtype, shape, data), 'x.npy');
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, shape);
      assert.deepEqual(Array.from(back.data), Array.from(data), `${dtype} [${shape}]`);
    }
  }
});

test('npy.js accepts header variants', () => {
  for (const h of [
    "{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
    "{ \"shape\" : ( 2 , 3 , ) , 'fortran_order' : False , 'descr' : '=f4' ,}  \n",
    "{'descr': '|f4', 'fortran_order': False, 'shape': (2L, 3L), }\n",
  ]) {
    const t = parseNpy(image(1, h, Buffer.alloc(24)), 'x.npy');
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, [2, 3]);
  }
});

test('npy.js rejects malformed files naming the file and field', () => {
  const f24 = Buffer.alloc(24);
  const cases = [
    [Buffer.from('PK\x03\x04'), 'magic'],
    [image(4, hdr('<f4', '(6,)'), f24), 'version'],
    [image(1, hdr('<f4', '(2, 3)', 'True'), f24), 'fortran_order'],
    [image(1, hdr('>f4', '(6,)'), f24), 'descr: \'>f4\' is big-endian'],
    [image(1, hdr('|O', '(6,)'), f24), 'descr: \'|O\' is an object'],
    [image(1, hdr('<c8', '(3,)'), f24), 'descr: dtype'],
    [image(1, hdr('<f4', '(-6,)'), f24), 'shape: dimension 0 is negative'],
    [image(1, hdr('<f4', '(6)'), f24), 'shape'],
    [image(1, hdr('<f4', '(99999999999999999999,)'), f24), 'shape'],
    [image(1, hdr('<f4', '(2, 3)'), Buffer.alloc(23)), 'data: truncated'],
    [image(1, hdr('<f4', '(2, 3)'), Buffer.alloc(25)), 'data: 1 unexpected'],
    [image(1, "{'descr': '<f4', 'shape': (6,)}", f24), 'fortran_order: required'],
    [image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", f24), 'header'],
    [image(1, hdr('<f4', '(6,)') + 'junk', f24), 'header'],
    [image(1, hdr('|b1', '(2,)'), Buffer.from([1, 7])), 'data: bool element 1'],
  ];
  for (const [buffer, expected] of cases) {
    assert.throws(() => parseNpy(buffer, 'bad.npy'), (e) => {
      assert.ok(e instanceof NpyError);
      assert.ok(e.message.startsWith('bad.npy: '), e.message);
      assert.ok(e.message.includes(expected), `${e.message} should mention ${expected}`);
      return true;
    });
  }
  for (let n = 0; n < NUMPY_F32_2X3.length; n++) {
    assert.throws(() => parseNpy(NUMPY_F32_2X3.subarray(0, n), 'cut.npy'), NpyError);
  }
  assert.throws(() => readNpy('/nonexistent/x.npy'), /x\.npy: file: cannot read/);
});

// ---- run_ort.js ---------------------------------------------------------------------------

// A hand-encoded ONNX model (protobuf wire format), so the test needs neither Python nor
// test-data packages: inputs a, b: float32[2,3] and h: float16[3]; outputs
//   "sum:0" = Add(a, b), "prod/x" = Mul(a, b), "a_int" = Cast<to=INT64>(a), "h copy" = Identity(h).
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}
const field = (number, wireType) => varint((number << 3) | wireType);
const intField = (number, value) => Buffer.concat([field(number, 0), varint(value)]);
const bytesField = (number, payload) => {
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  return Buffer.concat([field(number, 2), varint(b.length), b]);
};
const FLOAT = 1;
const FLOAT16 = 10;
const INT64 = 7;

function valueInfo(name, elemType, dims) {
  const shape = Buffer.concat(dims.map((d) => bytesField(1, intField(1, d))));
  const tensorType = Buffer.concat([intField(1, elemType), bytesField(2, shape)]);
  return Buffer.concat([bytesField(1, name), bytesField(2, bytesField(1, tensorType))]);
}

function node(opType, inputs, outputs, attributes = []) {
  return Buffer.concat([
    ...inputs.map((i) => bytesField(1, i)),
    ...outputs.map((o) => bytesField(2, o)),
    bytesField(3, `${opType}_${outputs[0]}`),
    bytesField(4, opType),
    ...attributes,
  ]);
}

function testModel() {
  const toInt64 = Buffer.concat([bytesField(1, 'to'), intField(3, INT64), intField(20, 2)]);
  const graph = Buffer.concat([
    bytesField(1, node('Add', ['a', 'b'], ['sum:0'])),
    bytesField(1, node('Mul', ['a', 'b'], ['prod/x'])),
    bytesField(1, node('Cast', ['a'], ['a_int'], [bytesField(5, toInt64)])),
    bytesField(1, node('Identity', ['h'], ['h copy'])),
    bytesField(2, 'run_ort_test'),
    bytesField(11, valueInfo('a', FLOAT, [2, 3])),
    bytesField(11, valueInfo('b', FLOAT, [2, 3])),
    bytesField(11, valueInfo('h', FLOAT16, [3])),
    bytesField(12, valueInfo('sum:0', FLOAT, [2, 3])),
    bytesField(12, valueInfo('prod/x', FLOAT, [2, 3])),
    bytesField(12, valueInfo('a_int', INT64, [2, 3])),
    bytesField(12, valueInfo('h copy', FLOAT16, [3])),
  ]);
  const opset = Buffer.concat([bytesField(1, ''), intField(2, 13)]);
  return Buffer.concat([intField(1, 8), bytesField(8, opset), bytesField(7, graph)]);
}

function runOrt(args) {
  const r = spawnSync(process.execPath, [RUN_ORT, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function setup() {
  const dir = tempDir();
  const model = path.join(dir, 'model.onnx');
  fs.writeFileSync(model, testModel());
  const a = [1.5, -2, 3.25, 0, 7, -0.5];
  const b = [2, 4, -1, 10, 0.5, 3];
  writeNpy(path.join(dir, 'a.npy'), 'float32', [2, 3], a);
  writeNpy(path.join(dir, 'b.npy'), 'float32', [2, 3], b);
  writeNpy(path.join(dir, 'h.npy'), 'float16', [3], new Uint16Array([0x3c00, 0xc000, 0x7c00]));
  return { dir, model, a, b };
}

test('run_ort.js writes one .npy per output with sanitized names', () => {
  const { dir, model, a, b } = setup();
  const out = path.join(dir, 'out');
  const r = runOrt([model, out, `a=${dir}/a.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(fs.readdirSync(out).sort(), ['a_int.npy', 'h_copy.npy', 'prod_x.npy', 'sum_0.npy']);
  const sum = readNpy(path.join(out, 'sum_0.npy'));
  assert.equal(sum.dtype, 'float32');
  assert.deepEqual(sum.shape, [2, 3]);
  assert.deepEqual(Array.from(sum.data), a.map((x, i) => x + b[i]));
  const prod = readNpy(path.join(out, 'prod_x.npy'));
  assert.deepEqual(Array.from(prod.data), a.map((x, i) => x * b[i]));
  const cast = readNpy(path.join(out, 'a_int.npy'));
  assert.equal(cast.dtype, 'int64');
  assert.deepEqual(Array.from(cast.data), a.map((x) => BigInt(Math.trunc(x))));
  const half = readNpy(path.join(out, 'h_copy.npy'));
  assert.equal(half.dtype, 'float16');
  assert.deepEqual(Array.from(half.data), [0x3c00, 0xc000, 0x7c00]);
  fs.rmSync(dir, { recursive: true });
});

test('run_ort.js --repeat prints timing JSON', () => {
  const { dir, model } = setup();
  const r = runOrt([model, path.join(dir, 'out'), `a=${dir}/a.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`,
    '--repeat', '5', '--warmup=2', '--threads=2']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.repeat, 5);
  assert.equal(report.warmup, 2);
  assert.equal(report.threads, 2);
  for (const key of ['min_ms', 'median_ms', 'mean_ms', 'max_ms']) assert.equal(typeof report[key], 'number');
  assert.ok(report.min_ms <= report.median_ms && report.median_ms <= report.max_ms);
  assert.ok(report.min_ms <= report.mean_ms && report.mean_ms <= report.max_ms);
  fs.rmSync(dir, { recursive: true });
});

test('run_ort.js --random-seed fills missing inputs deterministically', () => {
  const { dir, model } = setup();
  const run = (name) => {
    const out = path.join(dir, name);
    const r = runOrt([model, out, `b=${dir}/b.npy`, '--random-seed', '42']);
    assert.equal(r.code, 0, r.stderr);
    return fs.readFileSync(path.join(out, 'sum_0.npy'));
  };
  assert.deepEqual(run('one'), run('two'));
  fs.rmSync(dir, { recursive: true });
});

test('run_ort.js exits 2 on bad usage and bad input', () => {
  const { dir, model } = setup();
  const out = path.join(dir, 'out');
  const good = [`a=${dir}/a.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`];
  fs.writeFileSync(path.join(dir, 'bad.npy'), 'not an npy file');
  writeNpy(path.join(dir, 'i32.npy'), 'int32', [2, 3], [1, 2, 3, 4, 5, 6]);
  writeNpy(path.join(dir, 'wrong_shape.npy'), 'float32', [3, 2], [1, 2, 3, 4, 5, 6]);
  const cases = [
    [[], /MODEL\.onnx and OUT_DIR are required/],
    [[model], /required/],
    [[model, out, ...good, '--threads'], /--threads needs/],
    [[model, out, ...good, '--threads', '0'], /--threads must be at least 1/],
    [[model, out, ...good, '--repeat', 'x'], /--repeat needs/],
    [[model, out, ...good, '--bogus'], /unknown option/],
    [[model, out, ...good, 'noequals'], /expected NAME=FILE\.npy/],
    [[model, out, ...good, `a=${dir}/a.npy`], /given twice/],
    [[path.join(dir, 'missing.onnx'), out, ...good], /missing\.onnx: model file not found/],
    [[path.join(dir, 'a.npy'), out, ...good], /cannot load the model/],
    [[model, out, `a=${dir}/a.npy`, `b=${dir}/b.npy`], /missing input 'h'/],
    [[model, out, ...good, `zz=${dir}/a.npy`], /'zz' is not an input/],
    [[model, out, `a=${dir}/nope.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`], /nope\.npy: file: cannot read/],
    [[model, out, `a=${dir}/bad.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`], /bad\.npy: magic/],
    [[model, out, `a=${dir}/i32.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`], /expects float32, the file holds int32/],
    [[model, out, `a=${dir}/wrong_shape.npy`, `b=${dir}/b.npy`, `h=${dir}/h.npy`], /expects shape \[2,3\]/],
  ];
  for (const [args, message] of cases) {
    const r = runOrt(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  fs.rmSync(dir, { recursive: true });
});
