#!/usr/bin/env python3
"""Quantize zoo models with ONNX Runtime's own quantizer: int8 QDQ models as users make them.

Run it with the project's virtual environment (onnxruntime 1.31):

    .venv/bin/python tools/quantize_ort.py --zoo out/zoo/models
    .venv/bin/python tools/quantize_ort.py --zoo out/zoo/models --models resnet18 mobilenet_v2

For each model named in ZOO/manifest.tsv (written by tools/export_zoo.py), writes
ZOO/<name>_int8.onnx: onnxruntime.quantization.quant_pre_process (ONNX shape inference and ONNX
Runtime's basic graph optimizations, as its documentation asks before static quantization),
then quantize_static in QDQ format with uint8 activations (per-tensor, asymmetric), int8
per-channel weights, MinMax calibration on --samples seeded random inputs uniform in [0, 1) of
the manifest's concrete input shape. Appends one line per model to ZOO/manifest_int8.tsv with the
manifest's columns (variant "int8"). Only models without symbolic dims are quantized.

Exit 0 when every model was quantized, 1 when some failed (the others are still written), 2 on
bad usage or a missing or malformed manifest.
"""

import argparse
import hashlib
import os
import sys
import tempfile

# Conv nets of the zoo quantized by default: the families with different int8-relevant structure
# (plain residual, depthwise + squeeze-excitation, grouped, inception-style concat, fire modules).
DEFAULT_MODELS = ("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0",
                  "regnet_y_400mf", "squeezenet1_1", "googlenet", "mnasnet1_0",
                  "shufflenet_v2_x1_0")
MANIFEST_COLUMNS = 10


class ManifestError(Exception):
    pass


def read_manifest(path):
    rows = {}
    try:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\n").split("\t")
                if len(fields) != MANIFEST_COLUMNS:
                    raise ManifestError(f"{path}:{number}: expected {MANIFEST_COLUMNS} "
                                        f"tab-separated fields, got {len(fields)}")
                rows[fields[0]] = fields
    except OSError as e:
        raise ManifestError(f"{path}: {e.strerror}; run tools/export_zoo.py first") from e
    return rows


def parse_shape(text, where):
    try:
        dims = [int(d) for d in text.split("x")]
    except ValueError:
        dims = []
    if not dims or any(d < 1 for d in dims):
        raise ManifestError(f"{where}: bad shape '{text}' (expected positive dims like 1x3x224x224)")
    return dims


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def quantize_qdq(source, out, feeds):
    """ONNX Runtime's static int8 recipe for x86-64: quant_pre_process, then quantize_static in
    QDQ format with uint8 per-tensor activations, int8 per-channel weights and MinMax
    calibration over `feeds` (an iterable of {input name: array})."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(feeds)

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as scratch:
        prepared = os.path.join(scratch, "prepared.onnx")
        # Static shapes throughout: ONNX shape inference is enough (no sympy needed).
        quant_pre_process(source, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, out, Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, reduce_range=False,
                        calibrate_method=CalibrationMethod.MinMax)


def quantize(zoo, row, samples, seed):
    import numpy as np

    name, file, _, _, opset, input_name, shape_text = row[:7]
    shape = parse_shape(shape_text, f"manifest row {name}")
    source = os.path.join(zoo, file)
    out = os.path.join(zoo, f"{name}_int8.onnx")
    rng = np.random.default_rng(seed)
    quantize_qdq(source, out, [{input_name: rng.random(shape, dtype=np.float32)}
                               for _ in range(samples)])
    return [f"{name}_int8", os.path.basename(out), row[2], "int8", opset, input_name, shape_text,
            "-", row[8], sha256_of(out)]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoo", required=True, help="folder with manifest.tsv (export_zoo.py)")
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), metavar="NAME",
                        help="manifest names to quantize (default: 10 conv nets)")
    parser.add_argument("--samples", type=int, default=8, help="calibration inputs (default 8)")
    parser.add_argument("--seed", type=int, default=7, help="calibration seed (default 7)")
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    try:
        rows = read_manifest(os.path.join(args.zoo, "manifest.tsv"))
        for name in args.models:
            if name not in rows:
                raise ManifestError(f"{args.zoo}/manifest.tsv: no model '{name}'")
            if rows[name][7] != "-":
                raise ManifestError(f"{name}: has symbolic dims {rows[name][7]}; "
                                    f"quantize a model with a fixed input shape")
    except ManifestError as e:
        print(f"quantize_ort: {e}", file=sys.stderr)
        return 2

    import onnxruntime
    print(f"onnxruntime {onnxruntime.__version__}: QDQ, uint8 activations, int8 per-channel "
          f"weights, {args.samples} random calibration inputs (seed {args.seed})")
    out_manifest = os.path.join(args.zoo, "manifest_int8.tsv")
    done = read_manifest(out_manifest) if os.path.exists(out_manifest) else {}
    failed = []
    for name in args.models:
        try:
            row = quantize(args.zoo, rows[name], args.samples, args.seed)
        except Exception as e:  # report the model and go on with the others
            print(f"quantize_ort: {name}: {type(e).__name__}: {e}", file=sys.stderr)
            failed.append(name)
            continue
        done[row[0]] = row
        print(f"wrote {os.path.join(args.zoo, row[1])}")
    with open(out_manifest, "w") as f:
        f.write("# name\tfile\tkind\tvariant\topset\tinput\tshape\tsymbolic\tparams\tsha256\n")
        for row in done.values():
            f.write("\t".join(row) + "\n")
    if failed:
        print(f"quantize_ort: failed: {' '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
