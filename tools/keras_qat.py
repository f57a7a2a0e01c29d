#!/usr/bin/env python3
"""Quantization-aware training of the Keras twin with TensorFlow Model Optimization -> int8 TFLite.

The `keras_qat_int8` row of bench/optimize_study.sh's table_keras.md: the Keras twin
(`fashion_mnist_cnn_keras`) as TensorFlow Model Optimization's quantization-aware training and
TFLite's converter make it, beside the converter's post-training variants of the same weights
(models/fashion_mnist_cnn_keras_*.tflite, tools/make_keras_models.py).

    out/tf-venv/bin/python tools/keras_qat.py --out out/optimize_study/keras_qat_int8.tflite

Needs TensorFlow, tf-keras (Keras 2, which tensorflow-model-optimization's API is built on) and
tensorflow-model-optimization, pinned in tools/requirements-tfmot.txt; bench/optimize_study.sh
installs them once into out/tf-venv. TF_USE_LEGACY_KERAS=1 is set before TensorFlow is imported.
Nothing is downloaded.

Steps:

1. The float model: the Keras twin's network, built by tools/make_keras_models.py's `build_cnn`
   (Conv 16 + BatchNorm + ReLU + MaxPool, Conv 32 + BatchNorm + ReLU + MaxPool, Flatten,
   Dense 64 + ReLU, Dense 10 logits), with the trained weights of the committed ONNX twin
   (`--model`, default models/fashion_mnist_cnn_keras.onnx), which are the weights of every
   models/fashion_mnist_cnn_keras_*.tflite file. The Keras weights themselves are not kept, and
   training again gives other weights (tf-keras is not the Keras 3 make_keras_models.py trains
   with); the ONNX twin has each BatchNorm folded into its convolution, so the convolutions get the
   folded kernels and biases and the BatchNorms are identities (gamma 1, beta 0, mean 0,
   variance 1 - epsilon) that are frozen (trainable False: Keras 2 then runs them in inference
   mode, also while training). The function is the twin's: the script checks the rebuilt model
   against models/fashion_mnist_cnn_keras_float32.tflite (`--float-tflite`) on the first 64 test
   images (max |a - b| / max |ref| <= 1e-4, else exit 1). Fine-tuning thus trains the folded
   weights, as a quantization-aware training that folds BatchNorm first does.
2. `tfmot.quantization.keras.quantize_model` (the default 8-bit scheme: int8 per-channel
   convolution weights, per-tensor dense weights, fake-quantized activations), then `--epochs`
   epochs (default 2) of training on the 60000 Fashion-MNIST training images
   (`/usr/share/datasets/fashion-mnist/*.gz`, pixel / 255, read by tools/train_fashion_mnist.py's
   reader like make_keras_models.py reads them), Adam with cosine decay from `--lr` (default
   1e-4: the model is trained already), batch 128, seeded (`--seed`, TensorFlow's op
   determinism on).
3. TFLite's converter on the trained quantization-aware model (batch 1, input [1,28,28,1] NHWC):
   `optimizations = [Optimize.DEFAULT]`, which turns the fake-quantization ranges into a full
   integer model (no representative dataset: the ranges were learned), and int8 input and output
   (`inference_input_type` / `inference_output_type` = int8, as in
   fashion_mnist_cnn_keras_int8.tflite; the converter's default for a quantization-aware model
   would keep float input and output with a quantize and a dequantize op around the int8 graph).

Printed: the rebuilt float model's and the quantization-aware model's Keras top-1, and the written
file's top-1 (TensorFlow's TFLite interpreter), each on the 10000 test images. Writes `--out` and
`--json` (default: --out with .json: versions, settings, the figures).

Exit 0 when the file was written; 1 when a check or the conversion failed; 2 on bad usage or a
missing model or data file; 3 when TensorFlow, tf-keras or tensorflow-model-optimization is not
installed in this interpreter.
"""

import argparse
import json
import os
import shlex
import sys
import warnings

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
MODEL = os.path.join("models", "fashion_mnist_cnn_keras.onnx")
FLOAT_TFLITE = os.path.join("models", "fashion_mnist_cnn_keras_float32.tflite")
DATA_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
TOLERANCE = 1e-4


class UsageError(Exception):
    """Bad arguments, a missing or malformed model or data file: exit 2."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the int8 .tflite file to write")
    parser.add_argument("--json", help="metadata file (default: --out with .json)")
    parser.add_argument("--model", default=MODEL,
                        help=f"ONNX twin with the trained weights (default {MODEL})")
    parser.add_argument("--float-tflite", default=FLOAT_TFLITE,
                        help=f"float32 TFLite file to check the rebuilt model against "
                             f"(default {FLOAT_TFLITE}; 'none' skips the check)")
    parser.add_argument("--data", default=DATA_DIR,
                        help=f"Fashion-MNIST folder (default {DATA_DIR})")
    parser.add_argument("--epochs", type=int, default=2,
                        help="quantization-aware training epochs (default 2)")
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    parser.add_argument("--lr", type=float, default=1e-4,
                        help="Adam learning rate, cosine decay (default 1e-4)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (default 2)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch < 1 or args.threads < 1:
        parser.error("--epochs, --batch and --threads must be at least 1")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    if not args.out.endswith(".tflite"):
        parser.error("--out must name a .tflite file")
    if args.json is None:
        args.json = args.out[: -len(".tflite")] + ".json"
    return args


def check_inputs(args):
    missing = [p for p in (args.model,) if not os.path.isfile(p)]
    if args.float_tflite != "none" and not os.path.isfile(args.float_tflite):
        missing.append(args.float_tflite)
    missing += [os.path.join(args.data, f) for f in DATA_FILES
                if not os.path.isfile(os.path.join(args.data, f))]
    if missing:
        raise UsageError("not found: " + ", ".join(missing))


def import_toolkits():
    """TensorFlow, tf-keras and TensorFlow Model Optimization, with Keras 2 as tf.keras."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's own TFLite interpreter is the one in this environment; its deprecation notice
    # (LiteRT is the successor, in .venv) is not news.
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
    try:
        import tensorflow as tf
        import tf_keras
        import tensorflow_model_optimization as tfmot
        import onnx
    except ImportError as e:
        raise ModuleNotFoundError(f"{e} (install tools/requirements-tfmot.txt)") from e
    return tf, tf_keras, tfmot, onnx


def onnx_weights(onnx, path):
    """The ONNX twin's initializers by name (bn1/W, bn1/B, bn2/*, fc1/*, logits/*)."""
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - any parse failure is a malformed file
        raise UsageError(f"{path}: not an ONNX model ({e})") from e
    w = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    need = {"bn1/W": (16, 1, 3, 3), "bn1/B": (16,), "bn2/W": (32, 16, 3, 3), "bn2/B": (32,),
            "fc1/W": (1568, 64), "fc1/B": (64,), "logits/W": (64, 10), "logits/B": (10,)}
    for name, shape in need.items():
        if name not in w or w[name].shape != shape:
            got = w[name].shape if name in w else "missing"
            raise UsageError(f"{path}: initializer {name} is {got}, expected {shape} "
                             "(not the Keras twin made by tools/make_keras_models.py)")
    return w


def load_twin_weights(model, w):
    """Sets the Keras twin's layers from the ONNX twin (NCHW, BatchNorm folded)."""
    for i in (1, 2):
        conv = model.get_layer(f"conv{i}")
        # ONNX (out, in, kh, kw) -> Keras (kh, kw, in, out).
        conv.set_weights([w[f"bn{i}/W"].transpose(2, 3, 1, 0), w[f"bn{i}/B"]])
        bn = model.get_layer(f"bn{i}")
        n = w[f"bn{i}/B"].shape[0]
        eps = bn.epsilon
        bn.set_weights([np.ones(n, np.float32), np.zeros(n, np.float32),
                        np.zeros(n, np.float32), np.full(n, 1.0 - eps, np.float32)])
        bn.trainable = False
    # The twin flattens (c, h, w); Keras flattens (h, w, c).
    fc1 = w["fc1/W"].reshape(32, 7, 7, 64).transpose(1, 2, 0, 3).reshape(1568, 64)
    model.get_layer("fc1").set_weights([fc1, w["fc1/B"]])
    model.get_layer("logits").set_weights([w["logits/W"], w["logits/B"]])


def top1(logits, labels):
    return float(np.mean(np.argmax(logits, 1) == labels))


def tflite_run(tf, content, x):
    """Runs a TFLite model one image at a time; int8 inputs quantized, int8 outputs dequantized."""
    interp = tf.lite.Interpreter(model_content=content, num_threads=1)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    results = []
    for sample in x:
        s = sample[None]
        if inp["dtype"] != np.float32:
            scale, zero = inp["quantization"]
            info = np.iinfo(inp["dtype"])
            s = np.clip(np.round(s / scale) + zero, info.min, info.max).astype(inp["dtype"])
        interp.set_tensor(inp["index"], s)
        interp.invoke()
        o = interp.get_tensor(out["index"]).astype(np.float32)
        if out["dtype"] != np.float32:
            scale, zero = out["quantization"]
            o = (o - zero) * scale
        results.append(o[0])
    return np.stack(results), inp, out


def run(args):
    check_inputs(args)
    tf, keras, tfmot, onnx = import_toolkits()
    sys.path.insert(0, TOOLS)
    from make_keras_models import build_cnn, fit_classifier
    from train_fashion_mnist import load_split

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(args.seed)

    weights = onnx_weights(onnx, args.model)
    x_train, y_train = load_split(args.data, "train", "nhwc")
    x_test, y_test = load_split(args.data, "t10k", "nhwc")
    meta = {
        "generator": "tools/keras_qat.py",
        "command": "tools/keras_qat.py " + shlex.join(sys.argv[1:]),
        "versions": {"tensorflow": tf.__version__, "tf_keras": keras.__version__,
                     "tensorflow_model_optimization": tfmot.__version__,
                     "numpy": np.__version__},
        "float_weights": f"{args.model} (BatchNorm folded; BatchNorms identity, frozen)",
        "qat": {"api": "tfmot.quantization.keras.quantize_model (default 8-bit scheme)",
                "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
                "optimizer": "Adam, cosine decay per step", "seed": args.seed,
                "dataset": "Fashion-MNIST training split (60000), pixel / 255"},
        "converter": "TFLiteConverter.from_keras_model, optimizations DEFAULT, "
                     "int8 input and output",
    }

    model = build_cnn(keras, batch_size=None)
    load_twin_weights(model, weights)
    float_top1 = top1(model.predict(x_test, batch_size=1000, verbose=0), y_test)
    meta["float_keras_top1"] = float_top1
    print(f"float model (ONNX twin's weights): Keras top-1 {float_top1 * 100:.2f}%")
    if args.float_tflite != "none":
        with open(args.float_tflite, "rb") as f:
            ref, _, _ = tflite_run(tf, f.read(), x_test[:64])
        mine = model.predict(x_test[:64], batch_size=64, verbose=0)
        diff = float(np.max(np.abs(mine - ref)) / max(np.max(np.abs(ref)), 1e-30))
        meta["rel_diff_vs_float_tflite"] = diff
        print(f"float model against {args.float_tflite}: max relative difference {diff:.2e}")
        if not diff <= TOLERANCE:
            print(f"FAILED: the rebuilt float model differs from {args.float_tflite} by "
                  f"{diff:.2e} (> {TOLERANCE})", file=sys.stderr)
            return 1

    qat = tfmot.quantization.keras.quantize_model(model)
    meta["qat"]["train_seconds"] = round(fit_classifier(keras, qat, x_train, y_train, args), 1)
    qat_top1 = top1(qat.predict(x_test, batch_size=1000, verbose=0), y_test)
    meta["qat_keras_top1"] = qat_top1
    print(f"quantization-aware model: Keras top-1 {qat_top1 * 100:.2f}%")

    # Batch 1 for the converter, as the other fashion_mnist_cnn_keras_*.tflite files.
    one = build_cnn(keras, batch_size=1)
    load_twin_weights(one, weights)
    qat_one = tfmot.quantization.keras.quantize_model(one)
    qat_one.set_weights(qat.get_weights())
    converter = tf.lite.TFLiteConverter.from_keras_model(qat_one)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        content = converter.convert()
    except Exception as e:  # noqa: BLE001 - report the converter's failure, whatever it is
        print(f"FAILED: TFLite's converter: {e}", file=sys.stderr)
        return 1

    logits, inp, out = tflite_run(tf, content, x_test)
    tfl_top1 = top1(logits, y_test)
    if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
        print(f"FAILED: the converted model's input/output are {inp['dtype'].__name__}/"
              f"{out['dtype'].__name__}, not int8", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(content)
    meta.update({
        "file": os.path.basename(args.out), "bytes": len(content), "tflite_top1": tfl_top1,
        "input": {"shape": inp["shape"].tolist(), "dtype": "int8",
                  "quantization": list(inp["quantization"])},
        "output": {"shape": out["shape"].tolist(), "dtype": "int8",
                   "quantization": list(out["quantization"])},
    })
    with open(args.json, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out} ({len(content)} bytes, int8 input and output): TFLite top-1 "
          f"{tfl_top1 * 100:.2f}% on {len(y_test)} test images; {args.json}")
    return 0


def main(argv):
    args = parse_args(argv)
    try:
        return run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
