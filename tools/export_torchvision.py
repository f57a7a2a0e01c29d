#!/usr/bin/python3
"""Export standard torchvision architectures with random weights to ONNX.

Uses Debian's python3-torch (1.13) and python3-torchvision (0.14); run it with /usr/bin/python3:

    /usr/bin/python3 tools/export_torchvision.py --out models/
    /usr/bin/python3 tools/export_torchvision.py --out models/ --models resnet18 --reference

The weights are random (weights=None) but seeded: torch.manual_seed(SEED) is called just before
each model is built, so a model's weights do not depend on which other models are exported, and
two runs write byte-identical files. Models are exported in eval mode with a fixed input of
BATCHx3x224x224 (float32) named "input" and one output named "output".

Random weights with untouched BatchNorm statistics (mean 0, variance 1) let activations shrink
layer by layer: mobilenet_v2's outputs come out near 1e-10. --calibrate-bn N first runs N seeded
random batches of 8 in training mode to set the BatchNorm running statistics (a cumulative
average), which keeps activations, and so output comparisons, at a sensible scale.

With --reference, a seeded random input and torch's output for it are written next to each
model as <name>.input.npy and <name>.output.npy, so the engine and ONNX Runtime can be checked
against PyTorch itself.
"""

import argparse
import hashlib
import os
import sys

MODELS = ("mobilenet_v2", "resnet18")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                        help="which architectures to export (default: all)")
    parser.add_argument("--opset", type=int, default=13, help="ONNX opset (default 13)")
    parser.add_argument("--batch", type=int, default=1, help="batch size of the input (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights (default 0)")
    parser.add_argument("--calibrate-bn", type=int, default=0, metavar="N",
                        help="set BatchNorm statistics from N seeded random batches (default 0)")
    parser.add_argument("--reference", action="store_true",
                        help="also write a seeded input and torch's output as .npy files")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    if args.calibrate_bn < 0:
        parser.error("--calibrate-bn must not be negative")
    return args


def build_model(torchvision, name):
    constructor = getattr(torchvision.models, name)
    model = constructor(weights=None)
    model.eval()
    return model


def calibrate_batchnorm(torch, model, batches, seed):
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over all calibration batches
    generator = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.rand(8, 3, 224, 224, generator=generator, dtype=torch.float32))
    model.eval()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv):
    args = parse_args(argv)
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"export_torchvision: {e}; install python3-torch and python3-torchvision and run "
              f"with /usr/bin/python3", file=sys.stderr)
        return 2

    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    # One thread: parallel reductions could otherwise change the last bits of the BatchNorm
    # statistics and reference outputs from one machine to the next.
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"opset {args.opset}, seed {args.seed}, BatchNorm calibration batches "
          f"{args.calibrate_bn}")

    for name in args.models:
        torch.manual_seed(args.seed)
        model = build_model(torchvision, name)
        if args.calibrate_bn:
            calibrate_batchnorm(torch, model, args.calibrate_bn, args.seed + 2)
        example = torch.zeros(args.batch, 3, 224, 224, dtype=torch.float32)
        path = os.path.join(args.out, f"{name}.onnx")
        with torch.no_grad():
            torch.onnx.export(
                model,
                example,
                path,
                export_params=True,
                opset_version=args.opset,
                do_constant_folding=True,
                input_names=["input"],
                output_names=["output"],
                training=torch.onnx.TrainingMode.EVAL,
                verbose=False,
            )
        params = sum(p.numel() for p in model.parameters())
        print(f"wrote {path}: {os.path.getsize(path)} bytes, {params} parameters, "
              f"sha256 {sha256_of(path)}")

        if args.reference:
            import numpy as np

            generator = torch.Generator().manual_seed(args.seed + 1)
            x = torch.rand(args.batch, 3, 224, 224, generator=generator, dtype=torch.float32)
            with torch.no_grad():
                y = model(x)
            for suffix, tensor in (("input", x), ("output", y)):
                npy_path = os.path.join(args.out, f"{name}.{suffix}.npy")
                np.save(npy_path, np.ascontiguousarray(tensor.numpy()))
                print(f"wrote {npy_path}: {tuple(tensor.shape)} float32, "
                      f"{os.path.getsize(npy_path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
