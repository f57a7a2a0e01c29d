"""Whether ONNX Runtime and the native backend agree on a model's outputs over a dataset's
samples: the share of output elements within one quantization step of each other.

    .venv/bin/python tools/ort_agreement.py MODEL.onnx... [--limit N]

Samples: the first N (default 1000) Fashion-MNIST test images (Debian's files), as the reference
model takes them ([1, 1, 28, 28] float32 in [0, 1]). The step: for a model whose output is
written by a DequantizeLinear, that node's scale; for a float output, the step int8 would have
over the observed range, (max - min) / 255. ONNX Runtime runs with graph optimizations off, so
that a QDQ model is computed exactly as its nodes say (its fused integer kernels saturate 16-bit
sums on x86-64 CPUs without VNNI). Prints one line per model; exit 0, or 2 on bad input.
"""

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper as nh
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import edgebench  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def output_step(model, observed):
    graph = model.graph
    producer = {o: n for n in graph.node for o in n.output}
    node = producer.get(graph.output[0].name)
    if node is not None and node.op_type == "DequantizeLinear":
        inits = {i.name: nh.to_array(i) for i in graph.initializer}
        scale = inits.get(node.input[1])
        if scale is not None:
            return float(np.max(scale))
    return float(observed.max() - observed.min()) / 255.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    with gzip.open(DATA) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 1, 28, 28)
    images = images[: args.limit].astype(np.float32) / 255.0
    for path in args.models:
        try:
            model = onnx.load(path)
        except Exception as e:  # noqa: BLE001 (onnx raises several types)
            print(f"ort_agreement: cannot read '{path}': {e}", file=sys.stderr)
            return 2
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        native = np.stack([next(iter(edgebench.run(path, {name: x}).values())) for x in images])
        theirs = np.stack([session.run(None, {name: x})[0] for x in images])
        step = output_step(model, native)
        diff = np.abs(native - theirs)
        agree = float((diff <= step * 1.0001).mean())
        print(f"{Path(path).name}: {len(images)} samples, {diff.size} elements, "
              f"{100 * agree:.3f}% within one step ({step:.4g}), max difference "
              f"{diff.max() / step:.2f} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
