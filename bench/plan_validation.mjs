// Compares edgebench plan's predictions (JSON files written by bench/plan_validation.sh) with
// the measured Edge TPU data. Usage: node bench/plan_validation.mjs DATA_DIR PLANS_DIR
// Prints every point's error and the MAPE; exit code 1 when an acceptance bound is missed.
import fs from 'node:fs';
import path from 'node:path';

const [dataDir, plansDir] = process.argv.slice(2);
const MiB = 1024 * 1024;

function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  return lines.slice(1).map((l) => l.split(',').map(Number));
}
function readPlan(name) {
  const file = path.join(plansDir, name);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}
const pct = (pred, meas) => (100 * (pred - meas)) / meas;
const mape = (errs) => errs.reduce((s, e) => s + Math.abs(e), 0) / errs.length;
const num = (x, d = 3) => x.toFixed(d).padStart(9);

const failures = [];
function check(ok, what) {
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (!ok) failures.push(what);
}

// ---- dense sweep, 1 TPU ----
console.log('dense sweep, 1 Edge TPU (edgetpu-thesis): 64 -> 4 x Dense(N, tanh) -> Dense(10)');
console.log('      N    on MiB   pred on   off MiB  pred off      |dOn|    |dOff|   meas ms   pred ms   err %');
const denseErr = [];
let worstSplit = 0;
let measuredSpill = null;
let predictedSpill = null;
for (const [n, , on, off, t] of readCsv(path.join(dataDir, 'dense_1tpu.csv'))) {
  const plan = readPlan(`dense_${n}.json`);
  if (!plan) continue;
  const m = plan.models[0];
  const pOn = m.on_chip_bytes / MiB;
  const pOff = m.off_chip_bytes / MiB;
  const e = pct(m.latency_ms.warm, t);
  denseErr.push(e);
  const dOn = Math.abs(pOn - on);
  const dOff = Math.abs(pOff - off);
  worstSplit = Math.max(worstSplit, dOn, dOff);
  if (off > 0 && measuredSpill === null) measuredSpill = n;
  if (pOff > 0 && predictedSpill === null) predictedSpill = n;
  console.log(`  ${String(n).padStart(5)} ${num(on)} ${num(pOn)} ${num(off)} ${num(pOff)} ${num(dOn)} ${num(dOff)} ${num(t)} ${num(m.latency_ms.warm)} ${e.toFixed(1).padStart(7)}`);
}
console.log(`  ${denseErr.length} points; worst on/off-chip error ${worstSplit.toFixed(3)} MiB; spill measured at N=${measuredSpill}, predicted at N=${predictedSpill}; latency MAPE ${mape(denseErr).toFixed(1)}%`);
check(denseErr.length === 64 && worstSplit <= 0.25, `dense on/off-chip split within 0.25 MiB at every point (worst ${worstSplit.toFixed(3)} MiB, ${denseErr.length} points)`);
check(measuredSpill !== null && predictedSpill !== null && Math.abs(predictedSpill - measuredSpill) <= 40, `dense spill point within 40 neurons (measured N=${measuredSpill}, predicted N=${predictedSpill})`);
check(mape(denseErr) < 25, `dense latency MAPE < 25% (${mape(denseErr).toFixed(1)}%)`);

// ---- conv sweep (reported; the acceptance sets no bound) ----
console.log('\nconv sweep, 1 Edge TPU (edgetpu-thesis): 64x64x3 -> 5 x Conv(F, 3x3, same) + ReLU');
console.log('      F    on MiB   pred on   meas ms   pred ms   err %');
const convErr = [];
for (const [f, , on, , t] of readCsv(path.join(dataDir, 'conv_1tpu_F32-202.csv'))) {
  const plan = readPlan(`conv_${f}.json`);
  if (!plan) continue;
  const m = plan.models[0];
  const e = pct(m.latency_ms.warm, t);
  convErr.push(e);
  console.log(`  ${String(f).padStart(5)} ${num(on)} ${num(m.on_chip_bytes / MiB)} ${num(t)} ${num(m.latency_ms.warm)} ${e.toFixed(1).padStart(7)}`);
}
if (convErr.length) console.log(`  conv latency MAPE ${mape(convErr).toFixed(1)}% (reported, no bound)`);

// ---- co-compilation study: MobileNetV2 pair on USB 2.0 ----
console.log('\nco-compilation study (edgetpu-usb2): MobileNetV2 iNat bird (A) + iNat plant (B)');
const single = readPlan('bird.json');
const pair = readPlan('pair.json');
if (single && pair) {
  const b = single.models[0];
  console.log('  calibration points (single model: set the link and the per-inference cost):');
  console.log(`    A alone: on-chip ${(b.on_chip_bytes / MiB).toFixed(2)} MiB (compiler: 3.75), warm ${b.latency_ms.warm.toFixed(2)} ms (10.33), first ${b.latency_ms.first.toFixed(2)} ms (120.78)`);
  const [ma, mb] = pair.models;
  console.log(`  co-compiled placement: A on-chip ${(ma.on_chip_bytes / MiB).toFixed(2)} MiB (3.75); B on-chip ${(mb.on_chip_bytes / MiB).toFixed(2)} MiB (2.49) + off-chip ${(mb.off_chip_bytes / MiB).toFixed(2)} MiB (2.59)`);
  // The steady state of the alternating trace A B A B ...: requests 3 and 4.
  const req = pair.trace.requests;
  const rows = [
    ['A co-compiled, warm', req[2].co_compiled_ms, 10.61],
    ['B co-compiled, warm', req[3].co_compiled_ms, 86.31],
    ['A separately, alternating', req[2].separate_ms, 123.0],
    ['B separately, alternating', req[3].separate_ms, 163.27],
  ];
  const pairErr = [];
  console.log('    what                           meas ms   pred ms   err %');
  for (const [what, p, meas] of rows) {
    const e = pct(p, meas);
    pairErr.push(e);
    console.log(`    ${what.padEnd(28)} ${num(meas, 2)} ${num(p, 2)} ${e.toFixed(1).padStart(7)}`);
  }
  console.log(`  pair MAPE ${mape(pairErr).toFixed(1)}%`);
  rows.forEach(([what], i) => check(Math.abs(pairErr[i]) <= 25, `${what} within 25% (${pairErr[i].toFixed(1)}%)`));
} else {
  check(false, 'MobileNetV2 pair plans present');
}

console.log(`\n${failures.length === 0 ? 'all acceptance bounds met' : `${failures.length} bound(s) missed`}`);
process.exit(failures.length === 0 ? 0 : 1);
