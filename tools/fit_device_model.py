#!/usr/bin/env python3
"""Fits the Edge TPU latency model of src/plan/planner.cc to the measured data and writes the
fitted figures into the device files.

    .venv/bin/python tools/fit_device_model.py --data ../shared/data/edgetpu \\
        --plans build/plan-validation/plans [--write]

The plans are those bench/plan_validation.sh writes (edgebench plan --json of every measured
model and of every cut of the dense models into 2, 3 and 4 segments); each carries the
quantities the warm latency is linear in ("latency_terms"), so the fit needs no model of its
own of the planner's rules.

Model (per device, a few physical figures; times in seconds):
  warm = per_inference + link_latency x (2 x subgraphs + streamed_layers)
       + per_layer x mapped_ops (held at the device file's value)
       + padded_macs / mac_rate + on_chip_bytes / param_read_bw
       + (input_bytes + streamed_bytes) / link_bw + output_bytes / link_output_bw
  padded_macs pads output channels to 64 and input channels to compute.input_channel_alignment;
  the outputs come back from the device at their own rate (the conv sweep's cost that grows
  with the output's 64 x 64 x F bytes: read back over the link and handed to the caller).
A multi-device pipeline adds the host's cost per stage h and per streamed layer x
(src/plan/segment.h, pipeline_latency_s).

Fit: least absolute relative error (the measured times span 0.1 ms to 36 ms; the mean absolute
percentage error is what is judged), by iteratively reweighted least squares; a fixed cost or
inverse rate that comes out negative is dropped (set to 0, i.e. no such term) and the rest
refitted. The 1-TPU sweeps (dense and conv) set the device figures; the pipelines then set h
and x (a grid minimising the mean absolute relative error, which a few points the device model
cannot explain do not drag along).

Cross-validation: leave one out. Every point is predicted by a model fitted without it (a 1-TPU
point: all device figures refitted; a pipeline point: h and x refitted, the device figures
being fitted on the 1-TPU sweeps alone). The table and the MAPE printed are those held-out
predictions. The interval written into the device files is the 5th-95th percentile range of
the held-out relative residuals of every point (90% coverage).

Exit status: 0; 1 when --bounds is given and a cross-validated MAPE misses its bound; 2 on bad
input.
"""
import argparse
import csv
import json
import math
import os
import re
import sys

import numpy as np

MIB = 1024.0 * 1024.0
CUTS = {2: ['2', '4', '6', '8'], 3: ['2-4', '2-6', '2-8', '4-6', '4-8', '6-8'],
        4: ['2-4-6', '2-4-8', '2-6-8', '4-6-8']}
# (TPUs, inputs per measurement, file, how the split was chosen). A manual split is the one
# the recorded per-TPU memory shows; an exhaustive one is the split the thesis timed fastest,
# so the model's fastest split is compared (its recorded memory columns do not always match
# its time: e.g. 2.63 MiB streamed at 0.73 ms).
PIPELINES = [(2, 1, 'dense_2tpu_manual_split_batch1.csv', 'manual'),
             (3, 50, 'dense_3tpu_exhaustive_split_batch50.csv', 'exhaustive'),
             (4, 50, 'dense_4tpu_manual_split_batch50.csv', 'manual')]
# Fitted figures, in the order of the feature columns.
PARAMS = ['per_inference_s', 'link_latency_s', 'mac_s', 'param_read_s', 'link_s', 'output_s']
BOUNDS = {'conv': 15.0, 'dense': 10.0, '2-TPU': 15.0, '3-TPU': 15.0, '4-TPU': 15.0}


class InputError(Exception):
    pass


def read_rows(path):
    if not os.path.isfile(path):
        raise InputError(f"no file '{path}'")
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise InputError(f"'{path}': no data rows")
    return rows[1:]


def read_plan(plans, name):
    path = os.path.join(plans, name)
    if not os.path.isfile(path):
        raise InputError(f"no plan '{path}' (run bench/plan_validation.sh first)")
    with open(path) as f:
        return json.load(f)


def features(terms):
    """The feature row of one plan's latency_terms (seconds per unit of each figure)."""
    output = terms['output_bytes']
    return [1.0 if terms['device_subgraphs'] > 0 else 0.0,
            2.0 * terms['device_subgraphs'] + terms['streamed_layers'],
            float(terms['padded_macs']), float(terms['on_chip_bytes']),
            float(terms['io_bytes'] - output + terms['streamed_bytes']), float(output)]


def fixed_part(terms, per_layer_s):
    return per_layer_s * terms['mapped_ops']


def fit_linear(a, y, offset, iterations=30):
    """Least absolute relative error (iteratively reweighted least squares), the negative
    coefficients dropped (that term set to 0) and the rest refitted; returns theta."""
    active = np.ones(a.shape[1], bool)
    while True:
        theta = np.zeros(a.shape[1])
        w = 1.0 / y
        for _ in range(iterations):
            sol, *_ = np.linalg.lstsq(a[:, active] * w[:, None], (y - offset) * w, rcond=None)
            theta[active] = sol
            rel = np.abs(a @ theta + offset - y) / y
            w = 1.0 / (y * np.sqrt(np.maximum(rel, 1e-3)))
        if (theta >= 0).all():
            return theta
        worst = np.argmin(np.where(active, theta, np.inf))
        active[worst] = False


def pipeline_predict(h, x, point):
    """Per-inference latency of one pipeline point for host costs h and x (arrays allowed): the
    fastest of its candidate splits (one for a manual split)."""
    best = None
    for warm, streamed in zip(point['warm'], point['streamed']):
        v = split_predict(h, x, point['k'], point['batch'], warm, streamed)
        best = v if best is None else np.minimum(best, v)
    return best


def split_predict(h, x, k, batch, warm, streamed):
    """src/plan/segment.h, pipeline_latency_s."""
    if batch == 1:
        return sum(warm) + x * sum(streamed) + k * h
    slowest = None
    for w, s in zip(warm, streamed):
        v = w + x * s
        slowest = v if slowest is None else np.maximum(slowest, v)
    return np.maximum(k * h, slowest + h) * (batch + k - 1) / batch


def pipeline_errors(points, h_grid, x_grid):
    """Each point's absolute relative error over the (h, x) grid."""
    hh, xx = np.meshgrid(h_grid, x_grid, indexing='ij')
    return np.array([np.abs(pipeline_predict(hh, xx, p) - p['t']) / p['t'] for p in points])


def grid_argmin(total, h_grid, x_grid):
    i, j = np.unravel_index(np.argmin(total), total.shape)
    return h_grid[i], x_grid[j]


def fit_pipeline(points, h_grid, x_grid):
    """Grid fit of h and x minimising the mean absolute relative error over `points`."""
    return grid_argmin(pipeline_errors(points, h_grid, x_grid).sum(axis=0), h_grid, x_grid)


def match_cut(plans, n, k, on, off):
    best = None
    for c in CUTS[k]:
        plan = read_plan(plans, f'multi_{n}_{k}_{c}.json')
        segs = plan['segments']
        dist = sum(abs(segs[i]['on_chip_bytes'] / MIB - on[i]) +
                   abs(segs[i]['off_chip_bytes'] / MIB - off[i]) for i in range(k))
        if best is None or dist < best[0]:
            best = (dist, c, segs)
    return best[1], best[2]


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', required=True, help='the measured data folder (README.md there)')
    ap.add_argument('--plans', required=True, help='plans written by bench/plan_validation.sh')
    ap.add_argument('--devices', default=os.path.join(os.path.dirname(__file__), '..', 'devices'),
                    help='folder of the device files (default: the source tree\'s devices/)')
    ap.add_argument('--write', action='store_true',
                    help='write the fitted figures into the edgetpu-* device files')
    ap.add_argument('--usb2-anchor', metavar='PLAN',
                    help='plan (edgetpu-usb2) of the single MobileNetV2 of the co-compilation '
                         'study: with --write, sets edgetpu-usb2\'s per-inference cost so that '
                         'it predicts the measured 10.33 ms warm')
    ap.add_argument('--bounds', action='store_true',
                    help='exit 1 when a cross-validated MAPE misses the acceptance bound')
    args = ap.parse_args(argv)

    thesis_path = os.path.join(args.devices, 'edgetpu-thesis.json')
    with open(thesis_path) as f:
        thesis = json.load(f)
    per_layer_s = thesis['compute']['per_layer_us'] * 1e-6

    # ---- 1-TPU sweeps ----
    points = []  # (sweep, label, measured s, features, fixed)
    for row in read_rows(os.path.join(args.data, 'conv_1tpu_F32-202.csv')):
        f, t = int(row[0]), float(row[4]) * 1e-3
        terms = read_plan(args.plans, f'conv_{f}.json')['models'][0]['latency_terms']
        points.append(('conv', f'F={f}', t, features(terms), fixed_part(terms, per_layer_s)))
    for row in read_rows(os.path.join(args.data, 'dense_1tpu.csv')):
        n, t = int(row[0]), float(row[4]) * 1e-3
        terms = read_plan(args.plans, f'dense_{n}.json')['models'][0]['latency_terms']
        points.append(('dense', f'N={n}', t, features(terms), fixed_part(terms, per_layer_s)))
    a = np.array([p[3] for p in points])
    y = np.array([p[2] for p in points])
    off = np.array([p[4] for p in points])
    theta = fit_linear(a, y, off)
    cv = np.empty(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        cv[i] = a[i] @ fit_linear(a[keep], y[keep], off[keep]) + off[i]
    fitted = a @ theta + off

    results = {}  # sweep -> list of (label, measured, fitted, cv)
    for (sweep, label, t, _, _), p_fit, p_cv in zip(points, fitted, cv):
        results.setdefault(sweep, []).append((label, t, p_fit, p_cv))

    def warm_of(terms):
        return float(np.array(features(terms)) @ theta + fixed_part(terms, per_layer_s))

    # ---- pipelines ----
    pipe_points = []
    for k, batch, name, split in PIPELINES:
        for row in read_rows(os.path.join(args.data, name)):
            lists = re.findall(r'\[([^\]]*)\]', ','.join(row))
            if len(lists) < 2:
                raise InputError(f"'{name}': row without per-TPU memory lists: {row}")
            on = [float(v) for v in lists[0].split(',')]
            off_mib = [float(v) for v in lists[1].split(',')]
            n, t = int(row[0]), float(row[-1]) * 1e-3
            if split == 'manual':
                cut, segs = match_cut(args.plans, n, k, on, off_mib)
                candidates = [(cut, segs)]
            else:
                candidates = [(c, read_plan(args.plans, f'multi_{n}_{k}_{c}.json')['segments'])
                              for c in CUTS[k]]
            pipe_points.append({
                'sweep': f'{k}-TPU', 'n': n, 'k': k, 'batch': batch, 't': t,
                'cuts': [c for c, _ in candidates],
                'warm': [[warm_of(s['latency_terms']) for s in segs] for _, segs in candidates],
                'streamed': [[s['latency_terms']['streamed_layers'] for s in segs]
                             for _, segs in candidates]})
    h_grid = np.linspace(0, 1e-3, 401)
    x_grid = np.linspace(0, 5e-3, 201)
    errors = pipeline_errors(pipe_points, h_grid, x_grid)
    total = errors.sum(axis=0)
    h, x = grid_argmin(total, h_grid, x_grid)
    for i, p in enumerate(pipe_points):
        hi, xi = grid_argmin(total - errors[i], h_grid, x_grid)
        fitted_p = float(pipeline_predict(h, x, p))
        # The split the prediction used (the fastest candidate with all points' h and x).
        cut = p['cuts'][int(np.argmin([split_predict(h, x, p['k'], p['batch'], w, s)
                                       for w, s in zip(p['warm'], p['streamed'])]))]
        results.setdefault(p['sweep'], []).append(
            (f"N={p['n']} cuts {cut}", p['t'], fitted_p, float(pipeline_predict(hi, xi, p))))

    # ---- report ----
    mape = {}
    rel = []
    for sweep in ['dense', 'conv', '2-TPU', '3-TPU', '4-TPU']:
        rows = results[sweep]
        print(f'\n{sweep}: measured, predicted by the full fit, predicted leaving the point out '
              '(ms), error % of each')
        print(f'  {"point":<20} {"meas ms":>9} {"fit ms":>9} {"err %":>7} {"CV ms":>9} '
              f'{"CV err %":>8}')
        errs = []
        for label, t, p_fit, p_cv in rows:
            e_fit = 100 * (p_fit - t) / t
            e_cv = 100 * (p_cv - t) / t
            errs.append(abs(e_cv))
            rel.append((p_cv - t) / t)
            print(f'  {label:<20} {t * 1e3:9.3f} {p_fit * 1e3:9.3f} {e_fit:7.1f} '
                  f'{p_cv * 1e3:9.3f} {e_cv:8.1f}')
        mape[sweep] = float(np.mean(errs))
        print(f'  {sweep}: {len(rows)} points, cross-validated (leave-one-out) latency MAPE '
              f'{mape[sweep]:.1f}% (bound {BOUNDS[sweep]:.0f}%)')
    # Interval: the measured value lies in predicted / (1 + r) for the held-out residuals r.
    r5, r95 = percentile(rel, 5), percentile(rel, 95)
    low, high = 1 / (1 + r95) - 1, 1 / (1 + r5) - 1
    names = dict(zip(PARAMS, theta))
    print('\nfitted figures (all points):')
    print(f'  per inference {names["per_inference_s"] * 1e6:.1f} us, link latency '
          f'{names["link_latency_s"] * 1e6:.1f} us per transfer, link '
          f'{1 / names["link_s"] / 1e6 if names["link_s"] else math.inf:.1f} MB/s')
    print(f'  MAC rate {1 / names["mac_s"] if names["mac_s"] else math.inf:.3g} /s on padded '
          f'work, parameter reads '
          f'{1 / names["param_read_s"] if names["param_read_s"] else math.inf:.3g} B/s, outputs '
          f'{1 / names["output_s"] / 1e6 if names["output_s"] else math.inf:.1f} MB/s')
    print(f'  pipeline host: {h * 1e6:.1f} us per stage, {x * 1e6:.1f} us per streamed layer')
    print(f'  interval (90% of held-out points): {low * 100:+.1f}% .. {high * 100:+.1f}%')
    summary = ', '.join(f'{s} {v:.1f}%' for s, v in mape.items())
    print(f'cross-validated MAPE: {summary}')

    if args.write:
        write_devices(args, theta, h, x, low, high, mape)
    if args.bounds and any(mape[s] > BOUNDS[s] for s in mape):
        return 1
    return 0


def rate(inverse):
    # A dropped term (inverse 0) is written as a rate too large to matter.
    return 1e18 if inverse <= 0 else float(f'{1 / inverse:.4g}')


def write_devices(args, theta, h, x, low, high, mape):
    p = dict(zip(PARAMS, theta))
    source = ('tools/fit_device_model.py on the thesis\'s dense and conv sweeps (1 Edge TPU) '
              'and its 2-, 3- and 4-TPU dense pipelines; leave-one-out cross-validated')
    fit = {'interval_low': round(low, 4), 'interval_high': round(high, 4),
           'interval_coverage': 0.9, 'source': source,
           'cv_mape_percent': {k: round(v, 1) for k, v in mape.items()}}
    chip = {'int8_macs_per_s': rate(p['mac_s']),
            'param_read_bytes_per_s': rate(p['param_read_s'])}
    for name in ['edgetpu-thesis', 'edgetpu-usb3', 'edgetpu-pcie', 'edgetpu-usb2']:
        path = os.path.join(args.devices, name + '.json')
        with open(path) as f:
            d = json.load(f)
        d['compute'].update(chip)
        d['compute'].pop('activation_elements_per_s', None)
        if name in ('edgetpu-thesis', 'edgetpu-usb3'):  # the measured host and link
            d['compute']['per_inference_us'] = round(p['per_inference_s'] * 1e6, 1)
            d['link']['bytes_per_s'] = float(f'{1 / p["link_s"]:.4g}')
            d['link']['latency_us'] = round(p['link_latency_s'] * 1e6, 1)
            d['link']['output_bytes_per_s'] = rate(p['output_s'])
            d['pipeline'] = {'per_stage_us': round(h * 1e6, 1),
                             'per_streamed_layer_us': round(x * 1e6, 1)}
        if name == 'edgetpu-usb2' and args.usb2_anchor:
            plan = read_plan(os.path.dirname(args.usb2_anchor), os.path.basename(args.usb2_anchor))
            m = plan['models'][0]
            t = m['latency_terms']
            link_s = 1 / d['link']['bytes_per_s']
            lat = d['link']['latency_us'] * 1e-6
            out_bw = d['link'].get('output_bytes_per_s', d['link']['bytes_per_s'])
            rest = (lat * (2 * t['device_subgraphs'] + t['streamed_layers']) +
                    d['compute']['per_layer_us'] * 1e-6 * t['mapped_ops'] +
                    t['padded_macs'] / chip['int8_macs_per_s'] +
                    t['on_chip_bytes'] / chip['param_read_bytes_per_s'] +
                    (t['io_bytes'] - t['output_bytes'] + t['streamed_bytes']) * link_s +
                    t['output_bytes'] / out_bw + m['latency_ms']['host'] * 1e-3)
            d['compute']['per_inference_us'] = round(max(0.0, 10.33e-3 - rest) * 1e6, 1)
        d['fit'] = fit
        with open(path, 'w') as f:
            json.dump(d, f, indent=2)
            f.write('\n')
        print(f'wrote {path}')


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as e:
        print(f'fit_device_model: {e}', file=sys.stderr)
        sys.exit(2)
