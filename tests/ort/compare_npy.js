#!/usr/bin/env node
'use strict';
// Compares the .npy files of two output folders (for example `edgebench run --output-dir A` and
// `run_ort.js MODEL B`):
//
//   node tests/ort/compare_npy.js DIR_A DIR_B [--max-rel X]
//
// For each file in DIR_B it prints the max relative error, defined as
// max_i |a_i - b_i| / max_i |b_i| (DIR_B is the reference), and the max absolute error.
// Exit codes: 0 all within --max-rel (default 1e-4); 1 some file is not; 2 bad usage or input.

const fs = require('node:fs');
const path = require('node:path');
const { NpyError, readNpy } = require('./npy.js');

function main(argv) {
  const positional = [];
  let maxRel = 1e-4;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max-rel') {
      maxRel = Number(argv[++i]);
      if (!Number.isFinite(maxRel) || maxRel < 0) throw new NpyError(`--max-rel needs a non-negative number`);
    } else {
      positional.push(argv[i]);
    }
  }
  if (positional.length !== 2) throw new NpyError('usage: compare_npy.js DIR_A DIR_B [--max-rel X]');
  const [dirA, dirB] = positional;
  const files = fs.readdirSync(dirB).filter((f) => f.endsWith('.npy')).sort();
  if (files.length === 0) throw new NpyError(`${dirB}: no .npy files`);
  let worst = 0;
  for (const file of files) {
    const a = readNpy(path.join(dirA, file));
    const b = readNpy(path.join(dirB, file));
    if (a.dtype !== b.dtype || a.shape.join(',') !== b.shape.join(',')) {
      console.log(`${file}: ${a.dtype}[${a.shape}] vs ${b.dtype}[${b.shape}]: MISMATCH`);
      worst = Infinity;
      continue;
    }
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < b.data.length; i++) {
      const x = Number(a.data[i]);
      const y = Number(b.data[i]);
      maxDiff = Math.max(maxDiff, Math.abs(x - y));
      maxRef = Math.max(maxRef, Math.abs(y));
    }
    const rel = maxRef > 0 ? maxDiff / maxRef : maxDiff;
    worst = Math.max(worst, rel);
    console.log(`${file}: max relative error ${rel.toExponential(3)} (max abs ${maxDiff.toExponential(3)}, ` +
                `output scale ${maxRef.toExponential(3)}) ${rel <= maxRel ? 'ok' : 'OVER ' + maxRel}`);
  }
  return worst <= maxRel ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`compare_npy.js: ${e.message}\n`);
  process.exitCode = 2;
}
