#!/usr/bin/env python3
"""Quantize the reference model with other toolkits' post-training quantizers, on edgebench's data.

The int8 variants that users would make of models/fashion_mnist_cnn.onnx with the usual tools,
calibrated on exactly the samples `edgebench optimize --calibration
fashion-mnist:DIR:train --calibration-limit 1000` uses: the first N images of the Fashion-MNIST
training split, read from the IDX files (`train-images-idx3-ubyte[.gz]`) as edgebench's
`fashion-mnist:` dataset reads them: float32 pixel / 255, in the model input's layout
([1,1,28,28], [1,28,28], [1,28,28,1] or [1,784]).

    .venv/bin/python tools/toolkit_variants.py --out DIR --which ort
    out/toolkits-venv/bin/python tools/toolkit_variants.py --out DIR --which nncf

Writes into DIR:

* `ort_int8.onnx` (`--which ort`): ONNX Runtime's quantizer as its documentation asks:
  `onnxruntime.quantization.quant_pre_process` (ONNX shape inference and ONNX Runtime's basic
  graph optimizations), then `quantize_static` in QDQ format with uint8 activations (per tensor,
  asymmetric) and int8 symmetric per-channel weights (U8S8, the combination ONNX Runtime
  recommends for x86-64 CPUs, where its int8 kernels take uint8 activations; full 8-bit weights,
  `reduce_range` off), ranges calibrated by its default method, MinMax.
* `nncf_int8.onnx` (`--which nncf`): NNCF's post-training quantization, `nncf.quantize` on the
  ONNX model with an `nncf.Dataset` over the same images (`subset_size` = all of them) and NNCF's
  defaults otherwise: the performance preset (symmetric quantizers: int8 per-channel weights,
  per-tensor activations with zero point 0, uint8 where they are non-negative as the input and
  every ReLU output are here), fast bias correction, target device ANY; NNCF leaves the last
  Gemm's output and the biases float. NNCF is not in the project's .venv:
  bench/optimize_study.sh installs it from tools/requirements-toolkits.txt into
  out/toolkits-venv. NNCF's telemetry is turned off (NNCF_CI) before it is imported: the script
  makes no network access.
* `toolkits.json`: per file, the toolkit, its version, the settings, the calibration samples and
  the file's size.

`--which both` (default) makes both with one interpreter. Exit 0 when every requested variant was
written; 1 when a quantizer failed; 2 on bad usage, a missing or malformed model or dataset;
3 when a requested toolkit is not installed in this interpreter (the message says which module
is missing).
"""

import argparse
import gzip
import json
import os
import struct
import sys

DEFAULT_MODEL = "models/fashion_mnist_cnn.onnx"
DEFAULT_DATASET = "/usr/share/datasets/fashion-mnist"
ROWS = COLS = 28
PIXELS = ROWS * COLS
IMAGES_MAGIC = 0x00000803
LAYOUTS = ([1, 1, ROWS, COLS], [1, ROWS, COLS], [1, ROWS, COLS, 1], [1, PIXELS])


class UsageError(Exception):
    """Bad arguments, a missing or malformed model or dataset: exit 2."""


class MissingToolkit(Exception):
    """A requested toolkit is not importable in this interpreter: exit 3."""


def read_idx_images(folder, split, limit):
    """The first `limit` images of SPLIT as uint8 [limit, 784], like edgebench's reader."""
    prefix = "train" if split == "train" else "t10k"
    name = f"{prefix}-images-idx3-ubyte"
    gz, plain = os.path.join(folder, name + ".gz"), os.path.join(folder, name)
    if os.path.isfile(gz):
        path, opener = gz, gzip.open
    elif os.path.isfile(plain):
        path, opener = plain, open
    else:
        raise UsageError(f"'{gz}' (or '{plain}') does not exist")
    try:
        with opener(path, "rb") as f:
            header = f.read(16)
            if len(header) < 16:
                raise UsageError(f"'{path}': too short for an IDX header")
            magic, count, rows, cols = struct.unpack(">IIII", header)
            if magic != IMAGES_MAGIC:
                raise UsageError(f"'{path}': magic number {magic:#010x}, expected "
                                 f"{IMAGES_MAGIC:#010x} (IDX unsigned bytes, 3 dimensions)")
            if (rows, cols) != (ROWS, COLS):
                raise UsageError(f"'{path}': images are {rows}x{cols}, expected {ROWS}x{COLS}")
            if limit > count:
                raise UsageError(f"'{path}' holds {count} images, fewer than the {limit} asked for")
            data = f.read(limit * PIXELS)
    except (OSError, EOFError) as e:
        raise UsageError(f"'{path}': {e}") from e
    if len(data) != limit * PIXELS:
        raise UsageError(f"'{path}': truncated: {len(data)} bytes of the first {limit} images")
    import numpy as np
    return np.frombuffer(data, dtype=np.uint8).reshape(limit, PIXELS)


def model_input(model_path):
    """(name, shape) of the model's single image input."""
    import onnx
    try:
        model = onnx.load(model_path)
    except Exception as e:  # onnx raises several types for unreadable files
        raise UsageError(f"'{model_path}': cannot read the ONNX model ({e})") from e
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise UsageError(f"'{model_path}': {len(inputs)} inputs, the dataset feeds one image")
    tensor_type = inputs[0].type.tensor_type
    shape = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim]
    if tensor_type.elem_type != onnx.TensorProto.FLOAT or shape not in LAYOUTS:
        raise UsageError(f"'{model_path}': input '{inputs[0].name}' must be float32 "
                         f"[1,1,28,28], [1,28,28], [1,28,28,1] or [1,784], not {shape}")
    return inputs[0].name, shape


def calibration_samples(pixels, shape):
    """Each image as float32 pixel / 255 in the input's shape, as edgebench feeds it."""
    import numpy as np
    return [(row.astype(np.float32) / np.float32(255.0)).reshape(shape) for row in pixels]


def quantize_ort(model_path, out_path, input_name, samples):
    try:
        import onnxruntime
        from quantize_ort import quantize_qdq  # ONNX Runtime's recipe, as the zoo uses it
    except ImportError as e:
        raise MissingToolkit(f"ONNX Runtime's quantizer: {e}") from e
    quantize_qdq(model_path, out_path, ({input_name: s} for s in samples))
    return {"toolkit": "onnxruntime", "version": onnxruntime.__version__,
            "settings": "quant_pre_process; quantize_static QDQ, uint8 per-tensor activations, "
                        "int8 per-channel weights, MinMax calibration"}


def quantize_nncf(model_path, out_path, input_name, samples):
    # NNCF sends usage statistics unless told it runs in CI; this script stays offline.
    os.environ.setdefault("NNCF_CI", "1")
    try:
        import nncf
        import onnx
    except ImportError as e:
        raise MissingToolkit(f"NNCF: {e}") from e
    model = onnx.load(model_path)
    dataset = nncf.Dataset(samples, lambda s: {input_name: s})
    quantized = nncf.quantize(model, dataset, subset_size=len(samples))
    onnx.save(quantized, out_path)
    return {"toolkit": "nncf", "version": nncf.__version__,
            "settings": f"nncf.quantize defaults (performance preset: symmetric per-tensor "
                        f"activations, int8 per-channel weights; fast bias correction; target "
                        f"device ANY), subset_size {len(samples)}"}


QUANTIZERS = {"ort": ("ort_int8.onnx", quantize_ort), "nncf": ("nncf_int8.onnx", quantize_nncf)}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for the models and toolkits.json")
    parser.add_argument("--which", choices=("ort", "nncf", "both"), default="both",
                        help="which toolkit's variant to make (default both)")
    parser.add_argument("--calibration-limit", type=int, default=1000, metavar="N",
                        help="first N training images calibrate (default 1000, as the study's "
                             "edgebench int8 variants)")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"float ONNX model (default {DEFAULT_MODEL})")
    parser.add_argument("--dataset", default=DEFAULT_DATASET, metavar="DIR",
                        help=f"Fashion-MNIST IDX folder (default {DEFAULT_DATASET})")
    args = parser.parse_args(argv)
    if args.calibration_limit < 1:
        parser.error("--calibration-limit must be at least 1")
    which = ["ort", "nncf"] if args.which == "both" else [args.which]
    try:
        if not os.path.isfile(args.model):
            raise UsageError(f"model '{args.model}' does not exist")
        if not os.path.isdir(args.dataset):
            raise UsageError(f"dataset folder '{args.dataset}' does not exist")
        try:
            import numpy  # noqa: F401  (both quantizers need it)
            import onnx  # noqa: F401
        except ImportError as e:
            raise MissingToolkit(str(e)) from e
        input_name, shape = model_input(args.model)
        pixels = read_idx_images(args.dataset, "train", args.calibration_limit)
    except UsageError as e:
        print(f"toolkit_variants: {e}", file=sys.stderr)
        return 2
    except MissingToolkit as e:
        print(f"toolkit_variants: not installed: {e}", file=sys.stderr)
        return 3
    samples = calibration_samples(pixels, shape)
    os.makedirs(args.out, exist_ok=True)

    record_path = os.path.join(args.out, "toolkits.json")
    try:
        with open(record_path) as f:
            record = json.load(f)
    except (OSError, ValueError):
        record = {}
    status, missing = 0, False
    for name in which:
        file, quantize = QUANTIZERS[name]
        out_path = os.path.join(args.out, file)
        try:
            entry = quantize(args.model, out_path, input_name, samples)
        except MissingToolkit as e:
            print(f"toolkit_variants: not installed: {e}", file=sys.stderr)
            missing = True
            continue
        except Exception as e:  # report the quantizer's own failure and go on
            print(f"toolkit_variants: {name}: {type(e).__name__}: {e}", file=sys.stderr)
            status = 1
            continue
        entry.update({"model": args.model, "bytes": os.path.getsize(out_path),
                      "calibration": f"fashion-mnist:{args.dataset}:train, first "
                                     f"{args.calibration_limit} images, pixel / 255, "
                                     f"input '{input_name}' {shape}"})
        record[file] = entry
        print(f"{entry['toolkit']} {entry['version']}: {entry['settings']}; calibrated on "
              f"{args.calibration_limit} training images; wrote {out_path} "
              f"({entry['bytes']} bytes)")
    with open(record_path, "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")
    return status or (3 if missing else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
