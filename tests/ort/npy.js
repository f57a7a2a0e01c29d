'use strict';
// Minimal NumPy .npy reader/writer for the ONNX Runtime anchor scripts.
//
// Reads format versions 1.0, 2.0 and 3.0 with the same rules as edgebench's C++ reader
// (src/core/npy.cc): little-endian, C order, the dtypes below only, a header that is exactly a
// dict of 'descr', 'fortran_order' and 'shape' (parsed by hand, never eval'd), and data that is
// exactly as long as the shape says. Writes version 1.0 byte-for-byte like numpy.save.
// Errors are thrown as NpyError with a message naming the file and the header field.

const fs = require('node:fs');

class NpyError extends Error {}

// dtype name (edgebench / NumPy spelling) -> descr written, element size, typed array class.
const DTYPES = {
  float32: { descr: '<f4', size: 4, array: Float32Array },
  float16: { descr: '<f2', size: 2, array: Uint16Array }, // raw binary16 bits
  float64: { descr: '<f8', size: 8, array: Float64Array },
  int8: { descr: '|i1', size: 1, array: Int8Array },
  uint8: { descr: '|u1', size: 1, array: Uint8Array },
  int16: { descr: '<i2', size: 2, array: Int16Array },
  uint16: { descr: '<u2', size: 2, array: Uint16Array },
  int32: { descr: '<i4', size: 4, array: Int32Array },
  uint32: { descr: '<u4', size: 4, array: Uint32Array },
  int64: { descr: '<i8', size: 8, array: BigInt64Array },
  uint64: { descr: '<u8', size: 8, array: BigUint64Array },
  bool: { descr: '|b1', size: 1, array: Uint8Array },
};

const KIND_TO_DTYPE = {
  f2: 'float16', f4: 'float32', f8: 'float64',
  i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64',
  b1: 'bool',
};

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const MAX_HEADER = 1 << 20;
const MAX_BYTES = 16 * 2 ** 30; // same limit as kMaxTensorBytes

function dtypeFromDescr(descr, source) {
  let rest = descr;
  let order = '=';
  if (rest.length > 0 && '<>=|!'.includes(rest[0])) {
    order = rest[0];
    rest = rest.slice(1);
  }
  if (rest === 'O' || rest === 'O4' || rest === 'O8') {
    throw new NpyError(`${source}: descr: '${descr}' is an object array (pickle); refused`);
  }
  const dtype = Object.prototype.hasOwnProperty.call(KIND_TO_DTYPE, rest) ? KIND_TO_DTYPE[rest] : null;
  if (dtype === null) {
    throw new NpyError(`${source}: descr: dtype '${descr}' is not supported`);
  }
  if (DTYPES[dtype].size > 1 && (order === '>' || order === '!')) {
    throw new NpyError(`${source}: descr: '${descr}' is big-endian; only little-endian is supported`);
  }
  return dtype;
}

// Hand-written parser for the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
function parseHeader(text, source) {
  let pos = 0;
  const fail = (field, what) => {
    const found = pos < text.length ? JSON.stringify(text[pos]) : 'the end of the header';
    throw new NpyError(`${source}: ${field}: malformed .npy header: ${what} at offset ${pos}, found ${found}`);
  };
  const skip = () => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++;
  };
  const consume = (c) => {
    if (text[pos] === c) {
      pos++;
      return true;
    }
    return false;
  };
  const parseString = (field) => {
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') fail(field, 'expected a quoted string');
    const start = ++pos;
    while (pos < text.length && text[pos] !== quote) {
      const code = text.charCodeAt(pos);
      if (text[pos] === '\\' || code < 0x20 || code >= 0x7f) fail(field, 'unsupported character in a string');
      pos++;
    }
    if (pos >= text.length) fail(field, 'unterminated string');
    return text.slice(start, pos++);
  };
  const parseDim = (index) => {
    const start = pos;
    consume('-');
    if (!/[0-9]/.test(text[pos] || '')) fail('shape', 'expected a non-negative integer dimension');
    if (text[pos] === '0' && /[0-9]/.test(text[pos + 1] || '')) fail('shape', 'leading zeros are not allowed');
    while (/[0-9]/.test(text[pos] || '')) pos++;
    const literal = text.slice(start, pos);
    if (text[pos] === 'L' || text[pos] === 'l') pos++;
    const value = BigInt(literal);
    if (value < 0n) throw new NpyError(`${source}: shape: dimension ${index} is negative (${literal})`);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new NpyError(`${source}: shape: dimension ${index} (${literal}) is too large`);
    }
    return Number(value);
  };
  const parseShape = () => {
    if (!consume('(')) fail('shape', 'expected a tuple such as (2, 3)');
    const shape = [];
    let afterComma = false;
    for (;;) {
      skip();
      if (consume(')')) {
        if (shape.length === 1 && !afterComma) fail('shape', 'a one-dimensional shape needs a trailing comma, (n,)');
        return shape;
      }
      if (shape.length > 0 && !afterComma) fail('shape', "expected ',' or ')' in the shape tuple");
      shape.push(parseDim(shape.length));
      skip();
      afterComma = consume(',');
    }
  };

  const values = {};
  skip();
  if (!consume('{')) fail('header', "expected '{' at the start of the dict");
  for (;;) {
    skip();
    if (consume('}')) break;
    const key = parseString('header');
    if (!['descr', 'fortran_order', 'shape'].includes(key)) {
      throw new NpyError(`${source}: header: unexpected key '${key}'`);
    }
    if (key in values) throw new NpyError(`${source}: ${key}: key '${key}' appears twice in the header`);
    skip();
    if (!consume(':')) fail(key, "expected ':' after the key");
    skip();
    if (key === 'descr') {
      if (text[pos] === '[') throw new NpyError(`${source}: descr: structured dtypes are not supported`);
      values.descr = parseString(key);
    } else if (key === 'fortran_order') {
      if (text.startsWith('True', pos)) {
        values.fortran_order = true;
        pos += 4;
      } else if (text.startsWith('False', pos)) {
        values.fortran_order = false;
        pos += 5;
      } else {
        fail(key, 'expected True or False');
      }
    } else {
      values.shape = parseShape();
    }
    skip();
    if (consume(',')) continue;
    if (consume('}')) break;
    fail(key, "expected ',' or '}' after the value");
  }
  skip();
  if (pos !== text.length) fail('header', "unexpected text after the closing '}'");
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in values)) throw new NpyError(`${source}: ${key}: required key '${key}' is missing from the header`);
  }
  if (values.fortran_order) {
    throw new NpyError(`${source}: fortran_order: column-major (Fortran order) arrays are not supported`);
  }
  return { dtype: dtypeFromDescr(values.descr, source), shape: values.shape };
}

// Parses an in-memory .npy image. Returns { dtype, shape, data } where data is a typed array
// (see DTYPES) holding a copy of the elements.
function parseNpy(buffer, source) {
  if (buffer.length < MAGIC.length || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new NpyError(`${source}: magic: not a .npy file`);
  }
  if (buffer.length < 10) throw new NpyError(`${source}: version: file ends inside the .npy preamble`);
  const major = buffer[6];
  const minor = buffer[7];
  if (minor !== 0 || major < 1 || major > 3) {
    throw new NpyError(`${source}: version: .npy format version ${major}.${minor} is not supported`);
  }
  let headerOffset;
  let headerSize;
  if (major === 1) {
    headerSize = buffer.readUInt16LE(8);
    headerOffset = 10;
  } else {
    if (buffer.length < 12) throw new NpyError(`${source}: header_len: file ends inside the .npy preamble`);
    headerSize = buffer.readUInt32LE(8);
    headerOffset = 12;
  }
  if (headerSize > MAX_HEADER) throw new NpyError(`${source}: header_len: header of ${headerSize} bytes exceeds the limit`);
  if (headerOffset + headerSize > buffer.length) {
    throw new NpyError(`${source}: header_len: header of ${headerSize} bytes does not fit in the file`);
  }
  const encoding = major === 3 ? 'utf8' : 'latin1';
  const text = buffer.toString(encoding, headerOffset, headerOffset + headerSize);
  const { dtype, shape } = parseHeader(text, source);
  const info = DTYPES[dtype];
  let count = 1;
  for (const d of shape) count *= d;
  const bytes = count * info.size;
  if (!Number.isSafeInteger(bytes) || bytes > MAX_BYTES) {
    throw new NpyError(`${source}: shape: (${shape.join(', ')}) is too large`);
  }
  const dataOffset = headerOffset + headerSize;
  const available = buffer.length - dataOffset;
  if (available < bytes) {
    throw new NpyError(`${source}: data: truncated: ${dtype}[${shape}] needs ${bytes} bytes but only ${available} follow`);
  }
  if (available > bytes) {
    throw new NpyError(`${source}: data: ${available - bytes} unexpected bytes after the data`);
  }
  // Copy into a fresh (aligned) buffer; the data offset need not be a multiple of the element size.
  const copy = new ArrayBuffer(bytes);
  new Uint8Array(copy).set(buffer.subarray(dataOffset, dataOffset + bytes));
  const data = new info.array(copy);
  if (dtype === 'bool') {
    const bad = data.findIndex((v) => v > 1);
    if (bad >= 0) throw new NpyError(`${source}: data: bool element ${bad} has byte value ${data[bad]}`);
  }
  return { dtype, shape, data };
}

function readNpy(path) {
  let buffer;
  try {
    buffer = fs.readFileSync(path);
  } catch (e) {
    throw new NpyError(`${path}: file: cannot read: ${e.code || e.message}`);
  }
  return parseNpy(buffer, path);
}

// Serializes like numpy.save (format 1.0, 64-byte aligned header, same padding).
function serializeNpy(dtype, shape, data) {
  const info = DTYPES[dtype];
  if (!info) throw new NpyError(`cannot write dtype '${dtype}' to .npy`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new NpyError(`data has ${data.length} elements but shape [${shape}] needs ${count}`);
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  let preamble = 10;
  let pad = 64 - ((preamble + header.length + 1) % 64);
  if (header.length + pad + 1 > 0xffff) {
    preamble = 12;
    pad = 64 - ((preamble + header.length + 1) % 64);
  }
  header += ' '.repeat(pad) + '\n';
  const out = Buffer.alloc(preamble + header.length + count * info.size);
  MAGIC.copy(out, 0);
  out[6] = preamble === 10 ? 1 : 2;
  out[7] = 0;
  if (preamble === 10) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  out.write(header, preamble, 'latin1');
  const typed = data instanceof info.array ? data : info.array.from(data);
  Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).copy(out, preamble + header.length);
  return out;
}

function writeNpy(path, dtype, shape, data) {
  fs.writeFileSync(path, serializeNpy(dtype, shape, data));
}

module.exports = { NpyError, DTYPES, parseNpy, readNpy, serializeNpy, writeNpy };
