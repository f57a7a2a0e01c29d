#!/usr/bin/env python3
"""Pass rate of `edgebench conformance --json` over the tests whose ops are all in the
foundation op list (the reference engine's required ops).

    python3 tools/conformance_listed_ops.py conformance.json [--folder node]
"""
import argparse
import collections
import json

LISTED = set("""Conv ConvTranspose Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Abs Neg Erf Relu
LeakyRelu PRelu Elu Clip Sigmoid HardSigmoid HardSwish Tanh Softmax LogSoftmax MaxPool AveragePool
GlobalAveragePool GlobalMaxPool BatchNormalization Concat Split Slice Gather Reshape Flatten
Transpose Squeeze Unsqueeze Shape Expand Tile Pad Resize ReduceMean ReduceSum ReduceMax ArgMax Cast
Where Equal Less Greater Identity Dropout Constant ConstantOfShape QuantizeLinear DequantizeLinear
QLinearConv QLinearMatMul MatMulInteger ConvInteger""".split())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("json")
    parser.add_argument("--folder", default="node", help="test-data folder name (default node)")
    args = parser.parse_args()
    with open(args.json) as f:
        results = json.load(f)
    counts = collections.Counter()
    not_passing = []
    for test in results["tests"]:
        if test["folder"].rstrip("/").split("/")[-2] != args.folder:
            continue
        if not test["ops"] or not set(test["ops"]) <= LISTED:
            continue
        counts[test["status"]] += 1
        if test["status"] != "pass":
            not_passing.append(f'{test["name"]}: {test["status"]}: {test["message"][:120]}')
    total = sum(counts.values())
    print(f"{args.folder}: {total} tests use only listed ops: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
          f"; pass rate {100.0 * counts['pass'] / max(total, 1):.1f}%")
    for line in not_passing:
        print("  " + line)


if __name__ == "__main__":
    main()
