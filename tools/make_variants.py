#!/usr/bin/python3
"""Make model variants as other exporters write them: weights as Constant nodes, symbolic dims.

Uses Debian's python3-torch (1.13) and python3-onnx (1.12); run it with /usr/bin/python3:

    /usr/bin/python3 tools/make_variants.py --out models/variants/
    /usr/bin/python3 tools/make_variants.py --constants-from models/resnet18.onnx --out DIR

By default it exports a small seeded conv net (the test fixtures; about 7 k parameters) as:

  small_convnet.onnx            input [1,3,32,32], weights as initializers, BatchNormalization
                                kept as nodes (no constant folding at export)
  small_convnet_constants.onnx  the same graph with every initializer rewritten into a Constant
                                node of the same name (as several exporters write weights)
  small_convnet_symbolic.onnx   input [N,3,H,W], output [N,10] (torch dynamic axes)
  small_convnet_symbolic_constants.onnx  both at once
  small_convnet.input.npy, small_convnet.output.npy  a seeded input and torch's output for it

The net: Conv(3->8, 3x3, pad 1)+BN+ReLU, Conv(8->16, 3x3, stride 2, pad 1)+BN+ReLU,
MaxPool(2), Conv(16->32, 3x3, pad 1)+BN+ReLU, GlobalAveragePool, Flatten, Linear(32->10).
The GlobalAveragePool lets H and W vary; the MaxPool fails on inputs under 4x4 (tests use it for
shape errors caused by symbolic dims).

--constants-from MODEL rewrites any ONNX model's initializers into Constant nodes (written to
OUT/<name>_constants.onnx), for benchmark variants of larger models.
"""

import argparse
import hashlib
import os
import sys


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def initializers_to_constants(onnx, model):
    """Every initializer becomes a Constant node (placed first) with the same output name."""
    graph = model.graph
    initializer_names = {t.name for t in graph.initializer}
    constants = [onnx.helper.make_node("Constant", [], [t.name], name=f"const_{t.name}", value=t)
                 for t in graph.initializer]
    nodes = constants + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    # Models with IR < 4 also list initializers as graph inputs.
    inputs = [i for i in graph.input if i.name not in initializer_names]
    del graph.input[:]
    graph.input.extend(inputs)
    return model


def build_net(torch):
    nn = torch.nn

    def block(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(*block(3, 8, 1), *block(8, 16, 2), nn.MaxPool2d(2), *block(16, 32, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def export(torch, model, path, opset, dynamic):
    example = torch.zeros(1, 3, 32, 32, dtype=torch.float32)
    axes = {"input": {0: "N", 2: "H", 3: "W"}, "output": {0: "N"}} if dynamic else None
    with torch.no_grad():
        torch.onnx.export(model, example, path, export_params=True, opset_version=opset,
                          do_constant_folding=False, input_names=["input"],
                          output_names=["output"], dynamic_axes=axes,
                          training=torch.onnx.TrainingMode.PRESERVE, verbose=False)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--opset", type=int, default=13, help="ONNX opset (default 13)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights (default 0)")
    parser.add_argument("--constants-from", metavar="MODEL",
                        help="only rewrite MODEL's initializers into Constant nodes")
    args = parser.parse_args(argv)
    try:
        import onnx
    except ImportError as e:
        print(f"make_variants: {e}; install python3-onnx and run with /usr/bin/python3",
              file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)

    def save(model, path):
        onnx.checker.check_model(model)
        onnx.save(model, path)
        print(f"wrote {path}: {os.path.getsize(path)} bytes, sha256 {sha256_of(path)}")

    if args.constants_from:
        name = os.path.splitext(os.path.basename(args.constants_from))[0]
        model = initializers_to_constants(onnx, onnx.load(args.constants_from))
        save(model, os.path.join(args.out, f"{name}_constants.onnx"))
        return 0

    try:
        import numpy as np
        import torch
    except ImportError as e:
        print(f"make_variants: {e}; install python3-torch and run with /usr/bin/python3",
              file=sys.stderr)
        return 2
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    model = build_net(torch)
    # Non-trivial BatchNorm statistics, so that folding them into the Conv changes the weights.
    generator = torch.Generator().manual_seed(args.seed + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=generator) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=generator) - 0.5)
    model.eval()
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, opset {args.opset}, "
          f"seed {args.seed}, {sum(p.numel() for p in model.parameters())} parameters")

    for dynamic, suffix in ((False, ""), (True, "_symbolic")):
        path = os.path.join(args.out, f"small_convnet{suffix}.onnx")
        export(torch, model, path, args.opset, dynamic)
        print(f"wrote {path}: {os.path.getsize(path)} bytes, sha256 {sha256_of(path)}")
        constants = initializers_to_constants(onnx, onnx.load(path))
        save(constants, os.path.join(args.out, f"small_convnet{suffix}_constants.onnx"))

    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(args.seed + 2))
    with torch.no_grad():
        y = model(x)
    for what, tensor in (("input", x), ("output", y)):
        path = os.path.join(args.out, f"small_convnet.{what}.npy")
        np.save(path, np.ascontiguousarray(tensor.numpy()))
        print(f"wrote {path}: {tuple(tensor.shape)} float32")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
