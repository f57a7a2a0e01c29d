#!/usr/bin/python3
"""Write QDQ int8 versions of float ONNX models (QuantizeLinear/DequantizeLinear pairs, opset 13).

Run it with Debian's python3 (it needs the `onnx` and `numpy` modules) from the repository root;
calibration runs ONNX Runtime through Node (`npm ci --ignore-scripts` first):

    /usr/bin/python3 tools/export_qdq.py --out DIR
        exports torchvision MobileNetV2 and ResNet-18 (random seeded weights, BatchNorm statistics
        calibrated on 2 random batches) with tools/export_torchvision.py into DIR when
        DIR/<name>.onnx is missing, then writes DIR/mobilenet_v2_qdq_u8.onnx and
        DIR/resnet18_qdq_u8.onnx (_qdq_s8 with --activation-type int8)
    /usr/bin/python3 tools/export_qdq.py --out DIR MODEL.onnx...
        quantizes the given float models instead: DIR/<stem>_qdq_u8.onnx
    ... --verify [--edgebench build/release/edgebench] [--max-rel 0.15]
        also runs float and QDQ models with ONNX Runtime on one seeded input and prints the
        relative error of the QDQ output against the float output; with --edgebench, runs
        `edgebench run` on the QDQ model too and checks it against ONNX Runtime (exit 1 when the
        relative error is over --max-rel or a tool fails)

Other options: --models (torchvision names), --samples N (calibration samples, default 8),
--seed S, --activation-type uint8|int8 (default uint8; weights are int8 either way).
Relative error is max|a - b| / max|b|, as in tests/ort/compare_npy.js.

Activation type: uint8 activations with int8 weights is what ONNX Runtime's own quantization tool
writes by default and what its x86 kernels are fastest on (on the development VM, ResNet-18 runs
in about 12 ms with uint8 activations and 31 ms with int8 ones), so it is the fair baseline. A
runtime with signed-only kernels can take uint8 QDQ exactly: q_s8 = q_u8 - 128, zp_s8 = zp_u8 - 128.

Why the edgebench-vs-ONNX Runtime tolerance is loose (0.15): the two compute each convolution's
sum in a different order (ONNX Runtime with its integer kernels, edgebench's reference engine in
float), and a sum that lands within an ulp of a rounding boundary of the next QuantizeLinear flips
one quantized value by 1 (a handful per million values in the first layer); random-weight networks
amplify such flips layer by layer (~1.5% at ResNet-18's output, ~7% at MobileNetV2's). A real bug
(wrong zero point, rounding or axis) shows up as errors of order 1.

What the QDQ model looks like (the layout ONNX Runtime's quantization tool writes, which runtimes
fuse into integer kernels):
  * every activation (a float tensor computed from the graph inputs, the graph inputs included,
    the graph outputs excluded) gets QuantizeLinear -> DequantizeLinear, per-tensor, asymmetric,
    with scale and zero point from the min/max (widened to include 0) seen over the calibration
    samples; each consumer reads the DequantizeLinear output;
  * the output of a Conv/Gemm/MatMul/Add whose only consumer is a Relu or a Clip is left float:
    the pair goes after the activation instead, so Conv+Relu(+Clip) fuse with the requantization;
  * MaxPool, Flatten, Reshape, Identity, Transpose, Squeeze and Unsqueeze outputs reuse their
    input's scale and zero point (they only move values), so they can stay in int8;
  * Conv weights (axis 0), Gemm B (axis 0 with transB=1, else axis 1) and 2-D MatMul B initializers
    (axis 1) become per-output-channel symmetric int8 (zero point 0, range -127..127) followed by
    DequantizeLinear;
  * Conv and Gemm biases (1-D initializers, Gemm only with alpha = beta = 1) become int32 with
    scale input_scale * weight_scale[channel] and zero point 0; other initializers stay float.

Calibration samples are seeded uniform random inputs in [0, 1): what `edgebench bench` feeds and
what tools/export_torchvision.py calibrates BatchNorm on. (Inputs in [-1, 1), which
tests/ort/run_ort.js --random-seed feeds, drive the deep activations of those random networks to
ranges ten times wider; calibrating on them would waste most of the int8 range. Timings do not
depend on it: out-of-range values just saturate.) Random-weight networks amplify any perturbation
layer by layer, so the int8 output differs from the float one by far more than a trained network's
would (ResNet-18 about 4%, MobileNetV2 about 25%); what matters for the benchmark is that the QDQ
model is well formed and that edgebench and ONNX Runtime agree on it.
The output is deterministic for given models, seed and sample count.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

TORCHVISION_MODELS = ("mobilenet_v2", "resnet18")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUSED_PRODUCERS = {"Conv", "Gemm", "MatMul", "Add"}
FUSED_ACTIVATIONS = {"Relu", "Clip"}
PASSTHROUGH = {"MaxPool", "Flatten", "Reshape", "Identity", "Transpose", "Squeeze", "Unsqueeze"}


class QdqError(Exception):
    pass


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models_in", nargs="*", metavar="MODEL.onnx",
                        help="float models to quantize (default: export torchvision models)")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--models", nargs="+", choices=TORCHVISION_MODELS,
                        default=list(TORCHVISION_MODELS),
                        help="torchvision architectures when no MODEL.onnx is given")
    parser.add_argument("--samples", type=int, default=8, help="calibration samples (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="calibration seed (default 0)")
    parser.add_argument("--activation-type", choices=("uint8", "int8"), default="uint8",
                        help="activation type (default uint8; weights are always int8)")
    parser.add_argument("--verify", action="store_true",
                        help="compare QDQ and float outputs in ONNX Runtime")
    parser.add_argument("--edgebench", metavar="PATH",
                        help="with --verify: also check `PATH run` against ONNX Runtime")
    parser.add_argument("--max-rel", type=float, default=0.15,
                        help="with --edgebench: allowed relative error edgebench vs ONNX Runtime "
                             "on the QDQ model (default 0.15)")
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    if args.edgebench and not args.verify:
        parser.error("--edgebench needs --verify")
    return args


def load_modules():
    try:
        import numpy
        import onnx
        from onnx import helper, numpy_helper, shape_inference
    except ImportError as e:
        raise QdqError(f"{e}; install python3-onnx and python3-numpy and run with /usr/bin/python3")
    return numpy, onnx, helper, numpy_helper, shape_inference


def run(cmd, capture=False):
    """Runs a command from the repository root; raises QdqError with its stderr on failure."""
    stdout = subprocess.PIPE if capture else subprocess.DEVNULL
    result = subprocess.run(cmd, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise QdqError(f"{' '.join(cmd)} failed (exit {result.returncode}): "
                       f"{result.stderr.strip()[-2000:]}")
    return result.stdout


def opset_of(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 0


def input_specs(model, onnx):
    """(name, numpy dtype, shape) of each graph input that is not an initializer."""
    from onnx import mapping
    initializers = {t.name for t in model.graph.initializer}
    specs = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor_type = value.type.tensor_type
        dims = []
        for d in tensor_type.shape.dim:
            if not d.HasField("dim_value") or d.dim_value <= 0:
                raise QdqError(f"input '{value.name}' has a symbolic dimension; export the model "
                               f"with fixed input shapes")
            dims.append(d.dim_value)
        specs.append((value.name, mapping.TENSOR_TYPE_TO_NP_TYPE[tensor_type.elem_type], dims))
    return specs


def random_sample(np, specs, rng, low):
    arrays = []
    for _, dtype, shape in specs:
        if np.issubdtype(dtype, np.floating):
            arrays.append(rng.uniform(low, 1.0, size=shape).astype(dtype))
        elif dtype == np.bool_:
            arrays.append(rng.integers(0, 2, size=shape).astype(dtype))
        else:
            arrays.append(rng.integers(0, 10, size=shape).astype(dtype))
    return arrays


def activation_tensors(model, onnx):
    """Float tensors computed from the graph inputs, in topological order (graph inputs first)."""
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    types = {}
    for value in list(graph.input) + list(graph.value_info) + list(graph.output):
        if value.type.HasField("tensor_type"):
            types[value.name] = value.type.tensor_type.elem_type
    dynamic = [v.name for v in graph.input if v.name not in initializers]
    dynamic_set = set(dynamic)
    order = list(dynamic)
    for node in graph.node:
        if any(i in dynamic_set for i in node.input if i):
            for o in node.output:
                if o:
                    dynamic_set.add(o)
                    order.append(o)
    return [t for t in order if types.get(t) == onnx.TensorProto.FLOAT]


def calibrate(np, onnx, model, tensors, samples, seed, work):
    """Min/max of each tensor over seeded random samples, computed by ONNX Runtime."""
    from onnx import helper
    specs = input_specs(model, onnx)
    calib = onnx.ModelProto()
    calib.CopyFrom(model)
    present = {o.name for o in calib.graph.output}
    for t in tensors:
        if t not in present:
            calib.graph.output.append(
                helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    calib_path = os.path.join(work, "calibration.onnx")
    onnx.save(calib, calib_path)
    rng = np.random.default_rng(seed)
    dirs = []
    for s in range(samples):
        d = os.path.join(work, f"sample_{s}")
        os.makedirs(d)
        for i, array in enumerate(random_sample(np, specs, rng, 0.0)):
            np.save(os.path.join(d, f"{i}.npy"), array)
        dirs.append(d)
    out = run(["node", "tools/ort_ranges.js", calib_path, *dirs], capture=True)
    return json.loads(out)["ranges"]


def activation_params(np, lo, hi, act_type):
    """Per-tensor asymmetric scale (float32) and zero point for the range [lo, hi] widened to 0."""
    lo = min(0.0, float(lo))
    hi = max(0.0, float(hi))
    qmin, qmax = (-128, 127) if act_type == "int8" else (0, 255)
    scale = np.float32((hi - lo) / (qmax - qmin))
    if not np.isfinite(scale) or scale <= 0:
        scale = np.float32(1.0)
    zero_point = int(np.clip(np.round(qmin - lo / float(scale)), qmin, qmax))
    return scale, zero_point


def quantize(np, onnx, helper, numpy_helper, model, ranges, act_type):
    """Returns the QDQ model and a summary dict."""
    graph = model.graph
    np_act = np.int8 if act_type == "int8" else np.uint8
    initializers = {t.name: t for t in graph.initializer}
    graph_outputs = {o.name for o in graph.output}
    consumers = {}
    producer = {}
    for node in graph.node:
        for i in node.input:
            if i:
                consumers.setdefault(i, []).append(node)
        for o in node.output:
            if o:
                producer[o] = node

    # Which activations get a Q/DQ pair, and with which parameters.
    params = {}
    summary = {"activations": 0, "weights": 0, "biases": 0, "bias_clipped": 0, "skipped": []}
    for t in activation_tensors(model, onnx):
        if t in graph_outputs:
            continue
        node = producer.get(t)
        users = consumers.get(t, [])
        if not users:
            continue
        if (node is not None and node.op_type in FUSED_PRODUCERS and len(users) == 1 and
                users[0].op_type in FUSED_ACTIVATIONS):
            continue
        if node is not None and node.op_type in PASSTHROUGH and node.input[0] in params:
            params[t] = params[node.input[0]]
            continue
        lo, hi = ranges.get(t, (None, None))
        if lo is None or hi is None:
            summary["skipped"].append(t)
            continue
        params[t] = activation_params(np, lo, hi, act_type)

    new_inits = []
    new_nodes = []
    rename = {}

    def add_init(name, array):
        new_inits.append(numpy_helper.from_array(array, name))
        return name

    def qdq_pair(t):
        scale, zp = params[t]
        s = add_init(f"{t}_scale", np.array(scale, dtype=np.float32))
        z = add_init(f"{t}_zero_point", np.array(zp, dtype=np_act))
        q, dq = f"{t}_quantized", f"{t}_dequantized"
        new_nodes.append(helper.make_node("QuantizeLinear", [t, s, z], [q],
                                          name=f"{t}_QuantizeLinear"))
        new_nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [dq],
                                          name=f"{t}_DequantizeLinear"))
        rename[t] = dq
        summary["activations"] += 1

    weight_scales = {}

    def quantize_weight(name, axis):
        """Per-channel symmetric int8 weight + DequantizeLinear; returns the DQ output name."""
        if (name, axis) in weight_scales:
            return weight_scales[(name, axis)][0]
        w = numpy_helper.to_array(initializers[name]).astype(np.float64)
        moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
        amax = np.abs(moved).max(axis=1)
        scale = (amax / 127.0).astype(np.float32)
        scale[~(scale > 0)] = np.float32(1.0)
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.round(w / scale.astype(np.float64).reshape(shape))
        q = np.clip(q, -127, 127).astype(np.int8)
        qn = add_init(f"{name}_quantized", q)
        sn = add_init(f"{name}_scale", scale)
        zn = add_init(f"{name}_zero_point", np.zeros(scale.shape, dtype=np.int8))
        out = f"{name}_dequantized"
        new_nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [out],
                                          name=f"{name}_DequantizeLinear", axis=axis))
        weight_scales[(name, axis)] = (out, scale)
        summary["weights"] += 1
        return out

    def quantize_bias(name, input_scale, w_scale, tag):
        b = numpy_helper.to_array(initializers[name]).astype(np.float64)
        scale = (np.float64(input_scale) * w_scale.astype(np.float64)).astype(np.float32)
        raw = np.round(b / scale.astype(np.float64))
        limit = np.iinfo(np.int32)
        clipped = int(np.count_nonzero((raw < limit.min) | (raw > limit.max)))
        summary["bias_clipped"] += clipped
        q = np.clip(raw, limit.min, limit.max).astype(np.int32)
        qn = add_init(f"{name}_{tag}_quantized", q)
        sn = add_init(f"{name}_{tag}_scale", scale)
        zn = add_init(f"{name}_{tag}_zero_point", np.zeros(scale.shape, dtype=np.int32))
        out = f"{name}_{tag}_dequantized"
        new_nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [out],
                                          name=f"{name}_{tag}_DequantizeLinear", axis=0))
        summary["biases"] += 1
        return out

    def is_float_init(name, ndim=None):
        t = initializers.get(name)
        return (t is not None and t.data_type == onnx.TensorProto.FLOAT and
                (ndim is None or len(t.dims) == ndim))

    for value in graph.input:
        if value.name in params and value.name not in initializers:
            qdq_pair(value.name)
    for original in graph.node:
        node = onnx.NodeProto()
        node.CopyFrom(original)
        inputs = [rename.get(i, i) for i in node.input]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        data = node.input[0] if node.input else ""
        weight_axis = None
        bias_ok = False
        if node.op_type == "Conv" and len(inputs) > 1 and is_float_init(node.input[1]):
            weight_axis, bias_ok = 0, True
        elif node.op_type == "Gemm" and len(inputs) > 1 and is_float_init(node.input[1], 2):
            weight_axis = 0 if attrs.get("transB", 0) else 1
            bias_ok = attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        elif node.op_type == "MatMul" and len(inputs) > 1 and is_float_init(node.input[1], 2):
            weight_axis = 1
        if weight_axis is not None:
            inputs[1] = quantize_weight(node.input[1], weight_axis)
            w_scale = weight_scales[(node.input[1], weight_axis)][1]
            if (bias_ok and len(inputs) > 2 and is_float_init(node.input[2], 1) and
                    data in params and initializers[node.input[2]].dims[0] == len(w_scale)):
                inputs[2] = quantize_bias(node.input[2], params[data][0], w_scale, node.name or
                                          node.output[0])
        node.ClearField("input")
        node.input.extend(inputs)
        new_nodes.append(node)
        for o in node.output:
            if o in params:
                qdq_pair(o)

    # Drop the float initializers that nothing reads any more.
    used = {i for n in new_nodes for i in n.input} | graph_outputs
    kept = [t for t in graph.initializer if t.name in used]
    graph.ClearField("initializer")
    graph.initializer.extend(kept + new_inits)
    graph_inputs = [v for v in graph.input if v.name not in initializers or v.name in used]
    graph.ClearField("input")
    graph.input.extend(graph_inputs)
    graph.ClearField("node")
    graph.node.extend(new_nodes)
    graph.ClearField("value_info")
    return model, summary


def export_torchvision(out, models):
    missing = [m for m in models if not os.path.exists(os.path.join(out, f"{m}.onnx"))]
    if missing:
        run(["/usr/bin/python3", "tools/export_torchvision.py", "--out", out,
             "--calibrate-bn", "2", "--models", *missing])
    return [os.path.join(out, f"{m}.onnx") for m in models]


def relative_error(np, a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    ref = np.abs(b).max()
    diff = np.abs(a - b).max()
    return diff / ref if ref > 0 else diff


def verify(np, onnx, float_path, qdq_path, args, work):
    """Prints the comparisons; returns False when a check fails."""
    model = onnx.load(float_path, load_external_data=False)
    specs = input_specs(model, onnx)
    rng = np.random.default_rng(args.seed + 1000)
    arrays = random_sample(np, specs, rng, 0.0)
    feeds = []
    for (name, _, _), array in zip(specs, arrays):
        path = os.path.join(work, f"verify_{len(feeds)}.npy")
        np.save(path, array)
        feeds.append(f"{name}={path}")
    outs = {}
    for tag, path in (("ort_float", float_path), ("ort_int8", qdq_path)):
        outs[tag] = os.path.join(work, tag)
        run(["node", "tests/ort/run_ort.js", path, outs[tag], *feeds, "--threads", "1"])
    ok = True
    files = sorted(f for f in os.listdir(outs["ort_float"]) if f.endswith(".npy"))

    def load(tag, f):
        return np.load(os.path.join(outs[tag], f))

    for f in files:
        ref = load("ort_float", f)
        q = load("ort_int8", f)
        line = f"  {os.path.basename(qdq_path)} {f}: int8 vs float (ONNX Runtime) relative error " \
               f"{relative_error(np, q, ref):.3e}"
        if ref.ndim == 2 and ref.shape[1] > 1:
            agree = np.mean(np.argmax(ref, axis=1) == np.argmax(q, axis=1))
            line += f", top-1 {'same' if agree == 1 else 'differs'}"
        print(line)
    if args.edgebench:
        outs["eb_int8"] = os.path.join(work, "eb_int8")
        eb = args.edgebench if os.path.isabs(args.edgebench) else os.path.join(ROOT, args.edgebench)
        try:
            run([eb, "run", qdq_path, *sum((["--input", f] for f in feeds), []),
                 "--output-dir", outs["eb_int8"]])
        except QdqError as e:
            print(f"  {os.path.basename(qdq_path)}: edgebench run FAILED: {e}")
            return False
        for f in files:
            rel = relative_error(np, load("eb_int8", f), load("ort_int8", f))
            vs_float = relative_error(np, load("eb_int8", f), load("ort_float", f))
            within = rel <= args.max_rel
            ok = ok and within
            print(f"  {os.path.basename(qdq_path)} {f}: edgebench vs ONNX Runtime (int8) relative "
                  f"error {rel:.3e} {'ok' if within else f'OVER {args.max_rel}'}; "
                  f"edgebench int8 vs float {vs_float:.3e}")
    return ok


def main(argv):
    args = parse_args(argv)
    try:
        np, onnx, helper, numpy_helper, shape_inference = load_modules()
        os.makedirs(args.out, exist_ok=True)
        sources = args.models_in or export_torchvision(args.out, args.models)
        ok = True
        for src in sources:
            if not os.path.isfile(src):
                raise QdqError(f"{src}: no such file")
            stem = os.path.splitext(os.path.basename(src))[0]
            suffix = "u8" if args.activation_type == "uint8" else "s8"
            dst = os.path.join(args.out, f"{stem}_qdq_{suffix}.onnx")
            model = onnx.load(src)
            if opset_of(model) < 13:
                raise QdqError(f"{src}: opset {opset_of(model)}; per-channel DequantizeLinear "
                               f"needs opset 13 or later (re-export with opset 13)")
            model = shape_inference.infer_shapes(model)
            work = tempfile.mkdtemp(prefix="export_qdq_")
            try:
                tensors = activation_tensors(model, onnx)
                ranges = calibrate(np, onnx, model, tensors, args.samples, args.seed, work)
                qmodel, summary = quantize(np, onnx, helper, numpy_helper, model, ranges,
                                           args.activation_type)
                onnx.checker.check_model(qmodel)
                onnx.save(qmodel, dst)
                print(f"wrote {dst}: {summary['activations']} activations "
                      f"({args.activation_type}), {summary['weights']} weights (int8 per-channel), "
                      f"{summary['biases']} biases (int32), calibrated on {args.samples} samples")
                if summary["bias_clipped"]:
                    print(f"  warning: {summary['bias_clipped']} bias values clipped to int32")
                if summary["skipped"]:
                    print(f"  warning: no range for {len(summary['skipped'])} tensors, left float: "
                          f"{', '.join(summary['skipped'][:5])}")
                if args.verify:
                    ok = verify(np, onnx, src, dst, args, work) and ok
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return 0 if ok else 1
    except QdqError as e:
        print(f"export_qdq: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
