#!/usr/bin/python3
"""Train the reference Fashion-MNIST CNN and export it to ONNX.

Uses Debian's python3-torch (1.13), python3-onnx and python3-numpy; run it with /usr/bin/python3
from the repository root:

    /usr/bin/python3 tools/train_fashion_mnist.py --out models/

It reads Debian's copy of Fashion-MNIST (gzip'd IDX files, parsed with numpy; nothing is
downloaded), trains a small CNN on 2 CPU threads with a fixed seed and deterministic algorithms,
prints the float32 top-1 accuracy of the eval-mode model on the 10000 test images and writes

    <out>/fashion_mnist_cnn.onnx   opset 13, input "input" [1,1,28,28] float32 holding raw pixels
                                   scaled to [0,1] (no mean/std normalization), output "logits"
                                   [1,10] float32 (class scores before softmax)
    <out>/fashion_mnist_cnn.json   seed, epochs, test accuracy, versions and the command used

The network: Conv(1->16,3x3,pad 1)+BatchNorm+ReLU+MaxPool 2, Conv(16->32,3x3,pad 1)+BatchNorm+
ReLU+MaxPool 2, Flatten, Linear(1568->64)+ReLU, Linear(64->10). It is exported in eval mode, so
the BatchNorms hold their running statistics (the exporter or edgebench folds them into the
convolutions). With the defaults training takes a few minutes on 2 cores; reruns on the same
torch build give the same weights.

Classes (label order): 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot.
"""

import argparse
import gzip
import json
import os
import shlex
import sys
import time

import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"
NAME = "fashion_mnist_cnn"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--data", default=DATA_DIR,
                        help=f"Fashion-MNIST folder (default {DATA_DIR})")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--batch", type=int, default=64, help="training batch size (default 64)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (default 2e-3)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--opset", type=int, default=13, help="ONNX opset (default 13)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch < 1 or args.threads < 1:
        parser.error("--epochs, --batch and --threads must be at least 1")
    return args


def read_idx(path, expected_magic):
    """Reads a gzip'd IDX file (big-endian header: magic, then one uint32 per dimension)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: {len(data)} bytes, too short for an IDX header")
    magic = int.from_bytes(data[0:4], "big")
    if magic != expected_magic:
        raise ValueError(f"{path}: magic {magic:#x}, expected {expected_magic:#x}")
    ndim = magic & 0xFF
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {body.size} bytes of data for dimensions {dims}")
    return body.reshape(dims)


def load_split(data_dir, split, layout="nchw"):
    """Images as float32 (pixel / 255), [N,1,28,28] or with layout "nhwc" [N,28,28,1], and
    int64 labels."""
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"), 0x803)
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"), 0x801)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError(f"{split}: images {images.shape} do not match labels {labels.shape}")
    shape = (-1, 28, 28, 1) if layout == "nhwc" else (-1, 1, 28, 28)
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(shape)
    return x, labels.astype(np.int64)


def build_model(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def accuracy(torch, model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(torch.from_numpy(x[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x)


def main(argv):
    args = parse_args(argv)
    import onnx
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    print(f"train {x_train.shape}, test {x_test.shape}", file=sys.stderr)

    model = build_model(nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs * ((len(x_train) + args.batch - 1) // args.batch))
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x_train)
    yt = torch.from_numpy(y_train)
    rng = np.random.default_rng(args.seed)

    start = time.monotonic()
    for epoch in range(args.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(x_train)))
        total_loss = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += float(loss) * len(idx)
        acc = accuracy(torch, model, x_test, y_test)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / len(order):.4f}, "
              f"test accuracy {acc:.4f}, {time.monotonic() - start:.0f} s", file=sys.stderr)
    train_seconds = time.monotonic() - start
    test_acc = accuracy(torch, model, x_test, y_test)
    print(f"test accuracy (float32, torch, eval mode): {test_acc * 100:.2f}%")
    print(f"training time: {train_seconds:.1f} s")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, NAME + ".onnx")
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=args.opset,
                      input_names=["input"], output_names=["logits"], do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    onnx_model = onnx.load(onnx_path)
    onnx.checker.check_model(onnx_model, full_check=True)
    ops = sorted({n.op_type for n in onnx_model.graph.node})
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes; ops {', '.join(ops)})")

    meta = {
        "model": NAME + ".onnx",
        "dataset": "Fashion-MNIST (t10k test split, 10000 images)",
        "input": {"name": "input", "shape": [1, 1, 28, 28], "dtype": "float32",
                  "preprocessing": "uint8 pixels / 255, no normalization"},
        "output": {"name": "logits", "shape": [1, 10], "dtype": "float32"},
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                    "Sneaker", "Bag", "Ankle boot"],
        "test_accuracy": round(test_acc, 4),
        "seed": args.seed,
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "optimizer": "Adam, cosine learning-rate decay per step",
        "opset": args.opset,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "threads": args.threads,
        "train_seconds": round(train_seconds, 1),
        "command": "/usr/bin/python3 tools/train_fashion_mnist.py " + shlex.join(argv),
    }
    json_path = os.path.join(args.out, NAME + ".json")
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
