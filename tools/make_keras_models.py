#!/usr/bin/env python3
"""Build the same networks in every deployment format: Keras -> TFLite variants + ONNX twins.

Needs TensorFlow, which is kept out of the project's default virtual environment. Make a separate
one once (pins in tools/requirements-keras.txt), then run the script from the repository root:

    python3 -m venv /work/tfvenv
    /work/tfvenv/bin/pip install -r tools/requirements-keras.txt
    /work/tfvenv/bin/python tools/make_keras_models.py --out models/
    /work/tfvenv/bin/python tools/make_keras_models.py --out models/ --models cnn   # CNN only

The outputs are checked with the project's runtimes: the script runs itself a second time
(`--check`, no TensorFlow needed) with the project's Python (`--check-python`, default
`.venv/bin/python`, which has onnxruntime and ai-edge-litert).

Two networks, seeded (`--seed`, default 0) and built from Debian's Fashion-MNIST copy
(`/usr/share/datasets/fashion-mnist/*.gz`, pixel / 255; nothing is downloaded):

* `fashion_mnist_cnn_keras`: the reference CNN's architecture (models/fashion_mnist_cnn.json):
  Conv(1->16, 3x3, same)+BatchNorm+ReLU+MaxPool 2, Conv(16->32, 3x3, same)+BatchNorm+ReLU+
  MaxPool 2, Flatten, Dense(1568->64)+ReLU, Dense(64->10) (logits), trained for `--epochs`
  epochs (default 3) with Adam (2e-3, cosine decay, batch 128) on the 60000 training images.
  TFLite input [1,28,28,1] float32 (NHWC); ONNX twin input `input` [1,1,28,28] (NCHW, as the
  reference model), output `logits` [1,10].
* `mobilenetv2_keras`: `tf.keras.applications.MobileNetV2(alpha=0.35, input_shape=(96,96,3),
  classes=10, weights=None)` with seeded initial weights, UNTRAINED (a latency and conversion
  fixture); its BatchNorm statistics are calibrated on 32 of the representative images
  (without that, the activations of the random network fade and every input gives the same
  output). Input range [-1, 1] (MobileNetV2's preprocessing). TFLite input [1,96,96,3] (NHWC); ONNX twin input
  `input` [1,3,96,96] (NCHW), output `probabilities` [1,10].

For each network TFLite's converter writes `<name>_float32.tflite`, `<name>_dynamic.tflite`
(dynamic-range: int8 weights, float activations), `<name>_float16.tflite` (float16 weights) and
`<name>_int8.tflite` (full integer, int8 input and output; representative dataset: the first 200
training images for the CNN, 200 seeded random images in [-1, 1] for MobileNetV2). The ONNX twin
`<name>.onnx` (opset 13, batch fixed at 1) is written by this script from the Keras weights with
onnx.helper: NHWC kernels become NCHW, BatchNorms are folded into the preceding convolutions,
ZeroPadding2D into the following convolution's pads, and the Dense after Flatten gets its rows
permuted from NHWC to NCHW flatten order, so the graph has no Transpose nodes.

Checks (they fail the script, exit 1): on 16 seeded inputs (the CNN: 8 random images in [0,1]
and the first 8 test images; MobileNetV2: 16 random images in [-1,1]) the Keras model, the ONNX
twin (onnxruntime) and the float32 TFLite model (ai-edge-litert) agree within 1e-4 relative
(max |a - b| / max |keras|). Printed: each file's size and, for the CNN, each variant's top-1 on
the 10000-image test split (TFLite interpreter; ONNX Runtime for the twin).

Writes into --out: the .onnx and .tflite files above and `keras_models.json` (per file: sha256,
bytes, input/output names, shapes, dtypes and quantization, top-1 where measured, the agreement
figures; plus seeds, versions and the command).
"""

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

# The IDX reader the reference model's training uses (tools/ is the script's folder on sys.path).
from train_fashion_mnist import load_split

DATA_DIR = "/usr/share/datasets/fashion-mnist"
CNN = "fashion_mnist_cnn_keras"
MNV2 = "mobilenetv2_keras"
VARIANTS = ("float32", "dynamic", "float16", "int8")
OPSET = 13
TOLERANCE = 1e-4
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rel_diff(a, ref):
    """max |a - ref| / max |ref| (relative to the output's scale, stable near zero)."""
    a = np.asarray(a, np.float64)
    ref = np.asarray(ref, np.float64)
    if a.shape != ref.shape:
        raise ValueError(f"shape {a.shape} against {ref.shape}")
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


# ------------------------------------------------------------------------------------------------
# Keras models (TensorFlow side)


def build_cnn(keras, batch_size=1):
    layers = keras.layers
    inp = keras.Input(shape=(28, 28, 1), batch_size=batch_size, name="input")
    x = inp
    for i, filters in enumerate((16, 32), start=1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(64, activation="relu", name="fc1")(x)
    out = layers.Dense(10, name="logits")(x)
    return keras.Model(inp, out, name=CNN)


def fit_classifier(keras, model, x_train, y_train, args):
    """Trains a logits classifier `args.epochs` epochs with Adam, the learning rate decaying along a
    cosine from `args.lr`, batches of `args.batch`; returns the seconds it took."""
    steps = args.epochs * ((len(x_train) + args.batch - 1) // args.batch)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.monotonic()
    model.fit(x_train, y_train, batch_size=args.batch, epochs=args.epochs, shuffle=True,
              verbose=2)
    return time.monotonic() - start


def train_cnn(keras, x_train, y_train, args):
    """Trains the CNN with a free batch dimension; returns the batch-1 model with its weights."""
    trainer = build_cnn(keras, batch_size=None)
    seconds = fit_classifier(keras, trainer, x_train, y_train, args)
    model = build_cnn(keras, batch_size=1)
    model.set_weights(trainer.get_weights())
    return seconds, trainer, model


def build_mobilenetv2(keras, calibration):
    """Untrained MobileNetV2 (alpha 0.35, 96x96x3, 10 classes), BatchNorm statistics calibrated.

    With freshly initialised BatchNorms (mean 0, variance 1) the activations of the untrained
    network fade layer by layer and every input gives the same output; one training-mode pass
    with momentum 0 over `calibration` sets each BatchNorm's statistics to those of its inputs,
    so the outputs depend on the input like a trained network's do.
    """
    inp = keras.Input(shape=(96, 96, 3), batch_size=1, name="input")
    model = keras.applications.MobileNetV2(alpha=0.35, input_tensor=inp, classes=10,
                                           weights=None)
    # The same layers with a free batch dimension for the calibration pass.
    calib = keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), classes=10,
                                           weights=None)
    calib.set_weights(model.get_weights())
    bns = [layer for layer in calib.layers if type(layer).__name__ == "BatchNormalization"]
    for layer in bns:
        layer.momentum = 0.0
    calib(calibration, training=True)
    model.set_weights(calib.get_weights())
    return model


def convert_tflite(tf, model, variant, representative):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if variant == "int8":
        def gen():
            for sample in representative:
                yield [sample[None].astype(np.float32)]
        converter.representative_dataset = gen
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


# ------------------------------------------------------------------------------------------------
# ONNX twin from the Keras layer graph (NHWC -> NCHW)


def same_pads(size, kernel, stride, dilation):
    """TensorFlow's 'same' padding for one spatial dimension: (begin, end)."""
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class OnnxTwin:
    """Converts a functional Keras model of the layer types below into an NCHW ONNX graph."""

    def __init__(self, onnx, model, input_name, output_name):
        self.onnx = onnx
        self.h = onnx.helper
        self.model = model
        self.nodes = []
        self.inits = []
        self.names = {}        # keras tensor key -> onnx value name
        self.shapes = {}       # keras tensor key -> NCHW (or [N, F]) shape
        self.pads = {}         # keras tensor key -> (top, bottom, left, right) to add to a conv
        self.flat_from = {}    # keras tensor key -> (C, H, W) flattened in NCHW order
        self.input_name = input_name
        self.output_name = output_name
        self.consumers = {}
        self.layers = list(model.layers)
        for layer in self.layers:
            for t in self._inputs(layer):
                self.consumers.setdefault(self._key(t), []).append(layer)

    @staticmethod
    def _key(t):
        op, node_index, tensor_index = t._keras_history
        return (op.name, node_index, tensor_index)

    @staticmethod
    def _inputs(layer):
        if type(layer).__name__ == "InputLayer":
            return []
        ins = layer.input
        return list(ins) if isinstance(ins, (list, tuple)) else [ins]

    def _init(self, name, array):
        array = np.ascontiguousarray(array, dtype=np.float32)
        self.inits.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def _act(self, name, activation, value):
        if activation in ("linear", None):
            return value
        out = f"{name}/{activation}"
        if activation == "relu":
            self.nodes.append(self.h.make_node("Relu", [value], [out], name=out))
        elif activation == "softmax":
            self.nodes.append(self.h.make_node("Softmax", [value], [out], name=out, axis=-1))
        else:
            raise ValueError(f"layer {name}: activation {activation!r} is not supported")
        return out

    def _folded_bn(self, layer):
        """The BatchNormalization that is the only consumer of a conv layer's output, if any."""
        users = self.consumers.get(self._key(layer.output), [])
        if len(users) == 1 and type(users[0]).__name__ == "BatchNormalization":
            return users[0]
        return None

    def convert(self):
        h = self.h
        graph_inputs = self.model.inputs
        if len(graph_inputs) != 1 or len(self.model.outputs) != 1:
            raise ValueError("only models with one input and one output are converted")
        for layer in self.layers:
            kind = type(layer).__name__
            cfg = layer.get_config()
            if kind == "InputLayer":
                key = self._key(layer.output)
                if key != self._key(graph_inputs[0]):
                    raise ValueError(f"layer {layer.name}: a second input layer")
                n, hh, ww, c = layer.output.shape
                self.names[key] = self.input_name
                self.shapes[key] = [1, c, hh, ww]
                continue
            ins = [self._key(t) for t in self._inputs(layer)]
            out_key = self._key(layer.output)
            name = layer.name
            if kind in ("Conv2D", "DepthwiseConv2D"):
                (src,) = ins
                n, c, hh, ww = self.shapes[src]
                kh, kw = cfg["kernel_size"]
                sh, sw = cfg["strides"]
                dh, dw = cfg["dilation_rate"]
                kernel = layer.kernel.numpy()
                if kind == "Conv2D":
                    if cfg.get("groups", 1) != 1:
                        raise ValueError(f"layer {name}: grouped Conv2D is not supported")
                    w = kernel.transpose(3, 2, 0, 1)  # (kh,kw,in,out) -> (out,in,kh,kw)
                    group = 1
                else:
                    mult = kernel.shape[3]
                    w = kernel.transpose(2, 3, 0, 1).reshape(c * mult, 1, kh, kw)
                    group = c
                cout = w.shape[0]
                b = layer.bias.numpy() if cfg["use_bias"] else np.zeros(cout, np.float32)
                pt, pb, pl, pr = self.pads.get(src, (0, 0, 0, 0))
                hin, win = hh + pt + pb, ww + pl + pr
                if cfg["padding"] == "same":
                    a, z = same_pads(hin, kh, sh, dh)
                    pt, pb = pt + a, pb + z
                    a, z = same_pads(win, kw, sw, dw)
                    pl, pr = pl + a, pr + z
                elif cfg["padding"] != "valid":
                    raise ValueError(f"layer {name}: padding {cfg['padding']!r} not supported")
                ho = (hh + pt + pb - (kh - 1) * dh - 1) // sh + 1
                wo = (ww + pl + pr - (kw - 1) * dw - 1) // sw + 1
                bn = self._folded_bn(layer) if cfg["activation"] == "linear" else None
                if bn is not None:
                    bcfg = bn.get_config()
                    gamma = bn.gamma.numpy() if bn.gamma is not None else np.ones(cout, np.float32)
                    beta = bn.beta.numpy() if bn.beta is not None else np.zeros(cout, np.float32)
                    mean = bn.moving_mean.numpy()
                    var = bn.moving_variance.numpy()
                    scale = gamma / np.sqrt(var + bcfg["epsilon"])
                    w = w * scale.reshape(-1, 1, 1, 1)
                    b = (b - mean) * scale + beta
                    out_key = self._key(bn.output)
                    name = bn.name
                conv_out = name
                self.nodes.append(h.make_node(
                    "Conv", [self.names[src], self._init(name + "/W", w),
                             self._init(name + "/B", b)], [conv_out], name=name,
                    kernel_shape=[kh, kw], strides=[sh, sw], dilations=[dh, dw],
                    pads=[pt, pl, pb, pr], group=group))
                self.names[out_key] = self._act(name, cfg["activation"], conv_out)
                self.shapes[out_key] = [1, cout, ho, wo]
            elif kind == "BatchNormalization":
                (src,) = ins
                if out_key in self.names:
                    continue  # folded into its convolution
                raise ValueError(f"layer {name}: BatchNormalization not after a convolution")
            elif kind == "ReLU":
                (src,) = ins
                if cfg.get("negative_slope", 0.0) != 0.0 or cfg.get("threshold", 0.0) != 0.0:
                    raise ValueError(f"layer {name}: leaky or thresholded ReLU not supported")
                if cfg.get("max_value") is None:
                    self.nodes.append(h.make_node("Relu", [self.names[src]], [name], name=name))
                else:
                    lo = self._init(name + "/min", np.array(0.0, np.float32))
                    hi = self._init(name + "/max", np.array(cfg["max_value"], np.float32))
                    self.nodes.append(h.make_node("Clip", [self.names[src], lo, hi], [name],
                                                  name=name))
                self.names[out_key] = name
                self.shapes[out_key] = self.shapes[src]
            elif kind == "Activation":
                (src,) = ins
                self.names[out_key] = self._act(name, cfg["activation"], self.names[src])
                self.shapes[out_key] = self.shapes[src]
            elif kind == "MaxPooling2D":
                (src,) = ins
                n, c, hh, ww = self.shapes[src]
                kh, kw = cfg["pool_size"]
                sh, sw = cfg["strides"] or cfg["pool_size"]
                pt = pb = pl = pr = 0
                if cfg["padding"] == "same":
                    pt, pb = same_pads(hh, kh, sh, 1)
                    pl, pr = same_pads(ww, kw, sw, 1)
                self.nodes.append(h.make_node("MaxPool", [self.names[src]], [name], name=name,
                                              kernel_shape=[kh, kw], strides=[sh, sw],
                                              pads=[pt, pl, pb, pr]))
                self.names[out_key] = name
                self.shapes[out_key] = [1, c, (hh + pt + pb - kh) // sh + 1,
                                        (ww + pl + pr - kw) // sw + 1]
            elif kind == "ZeroPadding2D":
                (src,) = ins
                users = self.consumers.get(out_key, [])
                if not users or any(type(u).__name__ not in ("Conv2D", "DepthwiseConv2D")
                                    for u in users):
                    raise ValueError(f"layer {name}: ZeroPadding2D only before convolutions")
                (t, b), (l, r) = cfg["padding"]
                self.names[out_key] = self.names[src]
                self.shapes[out_key] = self.shapes[src]
                self.pads[out_key] = (t, b, l, r)
            elif kind == "Add":
                a, b = ins
                self.nodes.append(h.make_node("Add", [self.names[a], self.names[b]], [name],
                                              name=name))
                self.names[out_key] = name
                self.shapes[out_key] = self.shapes[a]
            elif kind == "GlobalAveragePooling2D":
                (src,) = ins
                n, c, hh, ww = self.shapes[src]
                self.nodes.append(h.make_node("GlobalAveragePool", [self.names[src]],
                                              [name + "/pool"], name=name + "/pool"))
                self.nodes.append(h.make_node("Flatten", [name + "/pool"], [name], name=name,
                                              axis=1))
                self.names[out_key] = name
                self.shapes[out_key] = [1, c]
            elif kind == "Flatten":
                (src,) = ins
                n, c, hh, ww = self.shapes[src]
                self.nodes.append(h.make_node("Flatten", [self.names[src]], [name], name=name,
                                              axis=1))
                self.names[out_key] = name
                self.shapes[out_key] = [1, c * hh * ww]
                self.flat_from[out_key] = (c, hh, ww)
            elif kind == "Dropout":
                (src,) = ins
                self.names[out_key] = self.names[src]
                self.shapes[out_key] = self.shapes[src]
            elif kind == "Dense":
                (src,) = ins
                w = layer.kernel.numpy()
                if src in self.flat_from:
                    c, hh, ww = self.flat_from[src]
                    # Keras flattens (h, w, c); the twin flattens (c, h, w).
                    w = w.reshape(hh, ww, c, -1).transpose(2, 0, 1, 3).reshape(c * hh * ww, -1)
                b = layer.bias.numpy() if cfg["use_bias"] else np.zeros(w.shape[1], np.float32)
                self.nodes.append(h.make_node("Gemm", [self.names[src],
                                                       self._init(name + "/W", w),
                                                       self._init(name + "/B", b)],
                                              [name], name=name))
                self.names[out_key] = self._act(name, cfg["activation"], name)
                self.shapes[out_key] = [1, w.shape[1]]
            else:
                raise ValueError(f"layer {name}: Keras layer type {kind} is not supported")
        out_key = self._key(self.model.outputs[0])
        # The last node writes the graph output under its ONNX name.
        last = self.names[out_key]
        if last != self.output_name:
            if any(self.output_name in list(n.output) for n in self.nodes):
                raise ValueError(f"output name {self.output_name!r} is taken by another node")
            for node in self.nodes:
                node.input[:] = [self.output_name if i == last else i for i in node.input]
                node.output[:] = [self.output_name if o == last else o for o in node.output]
        tp = self.onnx.TensorProto.FLOAT
        in_key = self._key(self.model.inputs[0])
        graph = h.make_graph(
            self.nodes, self.model.name,
            [h.make_tensor_value_info(self.input_name, tp, self.shapes[in_key])],
            [h.make_tensor_value_info(self.output_name, tp, self.shapes[out_key])],
            self.inits)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", OPSET)],
                             producer_name="edgebench tools/make_keras_models.py")
        model.ir_version = 8
        self.onnx.checker.check_model(model, full_check=True)
        return model


# ------------------------------------------------------------------------------------------------
# Checks with the project's runtimes (no TensorFlow): `--check SPEC.json`


def tflite_run(interp, x):
    """Runs a TFLite interpreter on one float sample, quantizing / dequantizing int8 ends."""
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    if inp["dtype"] == np.int8:
        scale, zp = inp["quantization"]
        x = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    y = interp.get_tensor(out["index"])
    if out["dtype"] == np.int8:
        scale, zp = out["quantization"]
        y = (y.astype(np.float32) - zp) * scale
    return y


def describe_tflite(interp):
    def one(d):
        entry = {"name": d["name"], "shape": [int(s) for s in d["shape"]],
                 "dtype": np.dtype(d["dtype"]).name}
        scale, zp = d["quantization"]
        if scale:
            entry["quantization"] = {"scale": float(scale), "zero_point": int(zp)}
        return entry
    return ([one(d) for d in interp.get_input_details()],
            [one(d) for d in interp.get_output_details()])


def check_main(spec_path):
    """Runs the ONNX twins and TFLite files, writes agreement figures and top-1 as JSON."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    with open(spec_path) as f:
        spec = json.load(f)
    results = {"versions": {"onnxruntime": ort.__version__}}
    try:
        import ai_edge_litert
        results["versions"]["ai_edge_litert"] = getattr(ai_edge_litert, "__version__", "?")
    except Exception:  # noqa: BLE001 - version is informative only
        pass
    data = np.load(spec["arrays"])
    for net in spec["networks"]:
        name = net["name"]
        x = data[name + "/x"]            # NHWC samples
        keras_out = data[name + "/keras"]
        entry = {}
        sess_opts = ort.SessionOptions()
        sess_opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(net["onnx"], sess_opts, providers=["CPUExecutionProvider"])
        onnx_out = np.concatenate([sess.run(None, {"input": s[None].transpose(0, 3, 1, 2)})[0]
                                   for s in x])
        entry["onnx"] = {"rel_diff_vs_keras": rel_diff(onnx_out, keras_out),
                         "inputs": [{"name": i.name, "shape": i.shape, "dtype": i.type}
                                    for i in sess.get_inputs()],
                         "outputs": [{"name": o.name, "shape": o.shape, "dtype": o.type}
                                     for o in sess.get_outputs()]}
        interps = {}
        for variant, path in net["tflite"].items():
            interp = Interpreter(model_path=path, num_threads=1)
            interp.allocate_tensors()
            interps[variant] = interp
            ins, outs = describe_tflite(interp)
            out = np.concatenate([tflite_run(interp, s[None]) for s in x])
            entry[variant] = {"inputs": ins, "outputs": outs,
                              "rel_diff_vs_keras": rel_diff(out, keras_out)}
            if variant == "float32":
                entry[variant]["rel_diff_vs_onnx"] = rel_diff(out, onnx_out)
        if net.get("test"):
            xt = data[name + "/test_x"]
            yt = data[name + "/test_y"]
            for variant, interp in interps.items():
                pred = np.array([int(np.argmax(tflite_run(interp, s[None]))) for s in xt])
                entry[variant]["top1"] = float(np.mean(pred == yt))
            pred = np.array([int(np.argmax(sess.run(None, {"input": s[None].transpose(
                0, 3, 1, 2)})[0])) for s in xt])
            entry["onnx"]["top1"] = float(np.mean(pred == yt))
        results[name] = entry
    with open(spec["result"], "w") as f:
        json.dump(results, f, indent=1)
    return 0


# ------------------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="output folder (created if missing)")
    parser.add_argument("--data", default=DATA_DIR,
                        help=f"Fashion-MNIST folder (default {DATA_DIR})")
    parser.add_argument("--models", default="cnn,mobilenetv2",
                        help="comma-separated: cnn, mobilenetv2 (default both)")
    parser.add_argument("--epochs", type=int, default=3, help="CNN training epochs (default 3)")
    parser.add_argument("--batch", type=int, default=128, help="training batch size (default 128)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (default 2e-3)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (default 2)")
    parser.add_argument("--check-python", default=os.path.join(REPO, ".venv", "bin", "python"),
                        help="Python with onnxruntime and ai-edge-litert (default .venv)")
    parser.add_argument("--check", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        return args
    if not args.out:
        parser.error("--out is required")
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in ("cnn", "mobilenetv2")]
    if unknown or not models:
        parser.error(f"--models: unknown {unknown or 'empty list'} (cnn, mobilenetv2)")
    args.models = models
    if args.epochs < 1 or args.batch < 1 or args.threads < 1:
        parser.error("--epochs, --batch and --threads must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    if args.check:
        return check_main(args.check)
    if not os.path.exists(args.check_python):
        print(f"--check-python {args.check_python}: not found (make the project's virtual "
              "environment first)", file=sys.stderr)
        return 2

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import onnx
    import tensorflow as tf
    keras = tf.keras

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()
    os.makedirs(args.out, exist_ok=True)

    json_path = os.path.join(args.out, "keras_models.json")
    meta = {"files": {}, "networks": {}}
    if os.path.exists(json_path):  # keep the other network's entries when building one
        with open(json_path) as f:
            meta = json.load(f)
    meta.update({
        "generator": "tools/make_keras_models.py",
        "command": "/work/tfvenv/bin/python tools/make_keras_models.py " + shlex.join(argv),
        "seed": args.seed,
        "agreement": f"max |a - b| / max |keras| over the check inputs, tolerance {TOLERANCE}",
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__,
                     "onnx": onnx.__version__, "numpy": np.__version__},
    })

    arrays = {}
    networks = []
    keras_top1 = None
    rng = np.random.default_rng(args.seed)
    train_seconds = None
    x_test = y_test = None

    if "cnn" in args.models:
        keras.utils.set_random_seed(args.seed)
        x_train, y_train = load_split(args.data, "train", "nhwc")
        x_test, y_test = load_split(args.data, "t10k", "nhwc")
        train_seconds, trainer, model = train_cnn(keras, x_train, y_train, args)
        logits = trainer.predict(x_test, batch_size=1000, verbose=0)
        keras_top1 = float(np.mean(np.argmax(logits, 1) == y_test))
        print(f"{CNN}: Keras float32 test top-1 {keras_top1 * 100:.2f}% "
              f"(trained {train_seconds:.0f} s)")
        check_x = np.concatenate([rng.random((8, 28, 28, 1), dtype=np.float32), x_test[:8]])
        networks.append((CNN, model, x_train[:200], check_x, "logits", True))
        meta["networks"][CNN] = {
            "architecture": "Conv(1->16,3x3,same)+BatchNorm+ReLU+MaxPool2, Conv(16->32,3x3,same)"
                            "+BatchNorm+ReLU+MaxPool2, Flatten, Dense(1568->64)+ReLU, "
                            "Dense(64->10) logits",
            "trained": True, "dataset": "Fashion-MNIST, pixel / 255",
            "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
            "optimizer": "Adam, cosine decay per step", "train_seconds": round(train_seconds, 1),
            "keras_top1": keras_top1,
            "representative_dataset": "first 200 training images",
            "check_inputs": "8 seeded uniform [0,1) images and the first 8 test images",
        }

    if "mobilenetv2" in args.models:
        keras.utils.set_random_seed(args.seed)
        rep = rng.uniform(-1.0, 1.0, (200, 96, 96, 3)).astype(np.float32)
        model = build_mobilenetv2(keras, rep[:32])
        check_x = rng.uniform(-1.0, 1.0, (16, 96, 96, 3)).astype(np.float32)
        networks.append((MNV2, model, rep, check_x, "probabilities", False))
        meta["networks"][MNV2] = {
            "architecture": "keras.applications.MobileNetV2(alpha=0.35, input_shape=(96,96,3), "
                            "classes=10, weights=None), softmax output",
            "trained": False,
            "note": "untrained: seeded initial weights, BatchNorm statistics calibrated on 32 "
                    "of the representative images; a latency and conversion fixture",
            "input_range": "[-1, 1]",
            "representative_dataset": "200 seeded uniform [-1,1] images",
            "check_inputs": "16 seeded uniform [-1,1] images",
        }

    spec = {"networks": [], "arrays": None, "result": None}
    for name, model, rep, check_x, out_name, has_test in networks:
        arrays[name + "/x"] = check_x
        arrays[name + "/keras"] = np.concatenate([model(s[None], training=False).numpy()
                                                  for s in check_x])
        onnx_path = os.path.join(args.out, name + ".onnx")
        twin = OnnxTwin(onnx, model, "input", out_name).convert()
        onnx.save(twin, onnx_path)
        tfl = {}
        for variant in VARIANTS:
            path = os.path.join(args.out, f"{name}_{variant}.tflite")
            with open(path, "wb") as f:
                f.write(convert_tflite(tf, model, variant, rep))
            tfl[variant] = path
        net = {"name": name, "onnx": onnx_path, "tflite": tfl, "test": has_test}
        if has_test:
            arrays[name + "/test_x"] = x_test
            arrays[name + "/test_y"] = y_test
        spec["networks"].append(net)

    with tempfile.TemporaryDirectory() as tmp:
        spec["arrays"] = os.path.join(tmp, "arrays.npz")
        spec["result"] = os.path.join(tmp, "result.json")
        np.savez(spec["arrays"], **arrays)
        with open(os.path.join(tmp, "spec.json"), "w") as f:
            json.dump(spec, f)
        proc = subprocess.run([args.check_python, os.path.abspath(__file__), "--check",
                               os.path.join(tmp, "spec.json")])
        if proc.returncode != 0:
            print(f"check with {args.check_python} failed (exit {proc.returncode})",
                  file=sys.stderr)
            return 1
        with open(spec["result"]) as f:
            checked = json.load(f)
    meta["versions"].update(checked.pop("versions"))

    failures = []
    rows = []
    for net in spec["networks"]:
        name = net["name"]
        res = checked[name]
        o = res["onnx"]
        files = [(os.path.basename(net["onnx"]), "onnx twin", o)]
        files += [(os.path.basename(net["tflite"][v]), v, res[v]) for v in VARIANTS]
        for fname, variant, r in files:
            path = os.path.join(args.out, fname)
            entry = {"network": name, "variant": variant, "bytes": os.path.getsize(path),
                     "sha256": sha256(path), "inputs": r["inputs"], "outputs": r["outputs"],
                     "rel_diff_vs_keras": r["rel_diff_vs_keras"]}
            if "rel_diff_vs_onnx" in r:
                entry["rel_diff_vs_onnx"] = r["rel_diff_vs_onnx"]
            if "top1" in r:
                entry["top1"] = r["top1"]
            meta["files"][fname] = entry
            rows.append((fname, entry))
        agree = {"onnx twin vs keras": o["rel_diff_vs_keras"],
                 "tflite float32 vs keras": res["float32"]["rel_diff_vs_keras"],
                 "tflite float32 vs onnx twin": res["float32"]["rel_diff_vs_onnx"]}
        meta["networks"][name]["agreement"] = agree
        for what, d in agree.items():
            print(f"{name}: {what}: max relative difference {d:.2e}")
            if not d <= TOLERANCE:
                failures.append(f"{name}: {what} differ by {d:.2e} (> {TOLERANCE})")

    print()
    print(f"{'file':<42} {'variant':<10} {'bytes':>9} {'top-1':>8} {'rel. diff vs Keras':>19}")
    for fname, e in rows:
        top1 = f"{e['top1'] * 100:.2f}%" if "top1" in e else "-"
        print(f"{fname:<42} {e['variant']:<10} {e['bytes']:>9} {top1:>8} "
              f"{e['rel_diff_vs_keras']:>19.2e}")
    if keras_top1 is not None:
        print(f"{'(Keras model, float32)':<42} {'keras':<10} {'':>9} {keras_top1 * 100:>7.2f}%")

    meta["files"] = dict(sorted(meta["files"].items()))
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {json_path}")
    if failures:
        for msg in failures:
            print("FAILED: " + msg, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
