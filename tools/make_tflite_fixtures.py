"""Writes the small TFLite models the reader tests use (tests/tflite/*.tflite).

Built with the flatbuffers object API of LiteRT's own schema module (ai_edge_litert ships
schema_py_generated.py), so the files are what the TFLite converter's schema says, without
TensorFlow. Each model is loaded and run by LiteRT's interpreter before it is written, and its
output for a fixed input is saved beside it (NAME.input.npy, NAME.output.npy) so that a runtime
backend can be checked against LiteRT.

    .venv/bin/python tools/make_tflite_fixtures.py [OUT_DIR]   # default tests/tflite
"""

import os
import sys

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s
from ai_edge_litert.interpreter import Interpreter

TT = s.TensorType
OP = s.BuiltinOperator


def quant(scale, zero_point, axis=0):
    q = s.QuantizationParametersT()
    q.scale = list(np.atleast_1d(np.asarray(scale, np.float32)))
    q.zeroPoint = list(np.atleast_1d(np.asarray(zero_point, np.int64)))
    q.quantizedDimension = axis
    return q


class Builder:
    def __init__(self):
        self.model = s.ModelT()
        self.model.version = 3
        self.model.description = "edgebench test fixture"
        self.model.buffers = [s.BufferT()]  # buffer 0: no data
        self.model.operatorCodes = []
        self.graph = s.SubGraphT()
        self.graph.name = "main"
        self.graph.tensors, self.graph.operators = [], []

    def tensor(self, name, ttype, shape, data=None, q=None, signature=None):
        t = s.TensorT()
        t.name, t.type, t.shape = name, ttype, list(shape)
        if signature is not None:
            t.shapeSignature = list(signature)
        t.quantization = q
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = list(np.ascontiguousarray(data).tobytes())
            self.model.buffers.append(b)
            t.buffer = len(self.model.buffers) - 1
        self.graph.tensors.append(t)
        return len(self.graph.tensors) - 1

    def opcode(self, code):
        for i, c in enumerate(self.model.operatorCodes):
            if c.builtinCode == code:
                return i
        c = s.OperatorCodeT()
        c.builtinCode = code
        c.deprecatedBuiltinCode = min(code, 127)
        c.version = 1
        self.model.operatorCodes.append(c)
        return len(self.model.operatorCodes) - 1

    def op(self, code, inputs, outputs, options_type=0, options=None):
        o = s.OperatorT()
        o.opcodeIndex = self.opcode(code)
        o.inputs, o.outputs = list(inputs), list(outputs)
        o.builtinOptionsType, o.builtinOptions = options_type, options
        self.graph.operators.append(o)

    def finish(self, inputs, outputs):
        self.graph.inputs, self.graph.outputs = list(inputs), list(outputs)
        self.model.subgraphs = [self.graph]
        b = flatbuffers.Builder(1024)
        b.Finish(self.model.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def conv_options(stride=1):
    o = s.Conv2DOptionsT()
    o.padding, o.strideW, o.strideH = s.Padding.SAME, stride, stride
    o.fusedActivationFunction = s.ActivationFunctionType.RELU
    o.dilationWFactor = o.dilationHFactor = 1
    return o


def float_model(rng):
    """float32: CONV_2D 3x3 (1->4) -> DEPTHWISE_CONV_2D 3x3 -> RESHAPE -> FULLY_CONNECTED 3."""
    m = Builder()
    x = m.tensor("input", TT.FLOAT32, [1, 6, 6, 1], signature=[-1, 6, 6, 1])
    w1 = m.tensor("conv/weights", TT.FLOAT32, [4, 3, 3, 1], rng.standard_normal((4, 3, 3, 1), np.float32))
    b1 = m.tensor("conv/bias", TT.FLOAT32, [4], rng.standard_normal(4).astype(np.float32))
    y1 = m.tensor("conv/out", TT.FLOAT32, [1, 6, 6, 4], signature=[-1, 6, 6, 4])
    m.op(OP.CONV_2D, [x, w1, b1], [y1], s.BuiltinOptions.Conv2DOptions, conv_options())
    w2 = m.tensor("dw/weights", TT.FLOAT32, [1, 3, 3, 4], rng.standard_normal((1, 3, 3, 4), np.float32))
    b2 = m.tensor("dw/bias", TT.FLOAT32, [4], np.zeros(4, np.float32))
    y2 = m.tensor("dw/out", TT.FLOAT32, [1, 3, 3, 4], signature=[-1, 3, 3, 4])
    dw = s.DepthwiseConv2DOptionsT()
    dw.padding, dw.strideW, dw.strideH, dw.depthMultiplier = s.Padding.SAME, 2, 2, 1
    dw.dilationWFactor = dw.dilationHFactor = 1
    m.op(OP.DEPTHWISE_CONV_2D, [y1, w2, b2], [y2], s.BuiltinOptions.DepthwiseConv2DOptions, dw)
    shape = m.tensor("flatten/shape", TT.INT32, [2], np.array([-1, 36], np.int32))
    y3 = m.tensor("flatten/out", TT.FLOAT32, [1, 36], signature=[-1, 36])
    m.op(OP.RESHAPE, [y2, shape], [y3])
    w3 = m.tensor("fc/weights", TT.FLOAT32, [3, 36], rng.standard_normal((3, 36), np.float32) * 0.1)
    y4 = m.tensor("logits", TT.FLOAT32, [1, 3], signature=[-1, 3])
    fc = s.FullyConnectedOptionsT()
    m.op(OP.FULLY_CONNECTED, [y3, w3, -1], [y4], s.BuiltinOptions.FullyConnectedOptions, fc)
    return m.finish([x], [y4])


def int8_model(rng):
    """Full-integer: int8 input/output, per-channel int8 CONV_2D weights, int32 bias, then
    FULLY_CONNECTED with per-tensor weights (the converter's layout for an int8 model)."""
    m = Builder()
    in_q = quant(1 / 255, -128)
    x = m.tensor("input", TT.INT8, [1, 4, 4, 1], q=in_q)
    w_scale = np.array([0.02, 0.03], np.float32)
    w1 = m.tensor("conv/weights", TT.INT8, [2, 3, 3, 1], rng.integers(-127, 128, (2, 3, 3, 1), dtype=np.int8),
                  q=quant(w_scale, [0, 0], axis=0))
    b1 = m.tensor("conv/bias", TT.INT32, [2], rng.integers(-100, 100, 2, dtype=np.int32),
                  q=quant(w_scale / 255, [0, 0], axis=0))
    y1 = m.tensor("conv/out", TT.INT8, [1, 4, 4, 2], q=quant(0.05, -128))
    m.op(OP.CONV_2D, [x, w1, b1], [y1], s.BuiltinOptions.Conv2DOptions, conv_options())
    shape = m.tensor("flatten/shape", TT.INT32, [2], np.array([1, 32], np.int32))
    y2 = m.tensor("flatten/out", TT.INT8, [1, 32], q=quant(0.05, -128))
    m.op(OP.RESHAPE, [y1, shape], [y2])
    w2 = m.tensor("fc/weights", TT.INT8, [3, 32], rng.integers(-127, 128, (3, 32), dtype=np.int8),
                  q=quant(0.01, 0))
    b2 = m.tensor("fc/bias", TT.INT32, [3], np.zeros(3, np.int32), q=quant(0.05 * 0.01, 0))
    y3 = m.tensor("logits", TT.INT8, [1, 3], q=quant(0.1, 3))
    fc = s.FullyConnectedOptionsT()
    m.op(OP.FULLY_CONNECTED, [y2, w2, b2], [y3], s.BuiltinOptions.FullyConnectedOptions, fc)
    return m.finish([x], [y3])


def other_forms(data):
    """The same model in the forms older and larger files use: operator codes only in
    deprecated_builtin_code (builtin_code absent, as before schema v3a), and every buffer's
    bytes after the flatbuffer, addressed by Buffer.offset/size (the form of models over 2 GiB)."""
    model = s.ModelT.InitFromPackedBuf(data, 0)
    for c in model.operatorCodes:
        c.builtinCode = 0
    blobs = []
    for b in model.buffers:
        if b.data is not None and len(b.data):
            blobs.append(bytes(bytearray(b.data)))
            b.data, b.offset, b.size = None, 1, len(blobs[-1])
        else:
            blobs.append(None)

    def pack():
        fb = flatbuffers.Builder(1024)
        fb.Finish(model.Pack(fb), file_identifier=b"TFL3")
        return bytes(fb.Output())

    head = pack()
    end = (len(head) + 15) // 16 * 16
    offsets = []
    for blob in blobs:
        offsets.append(end if blob is not None else None)
        if blob is not None:
            end = (end + len(blob) + 15) // 16 * 16
    for b, off in zip(model.buffers, offsets):
        if off is not None:
            b.offset = off
    head2 = pack()
    assert len(head2) == len(head), "offsets changed the flatbuffer's size"
    out = bytearray(head2)
    for blob, off in zip(blobs, offsets):
        if blob is not None:
            out += bytes(off - len(out)) + blob
    return bytes(out)


def check_and_write(out_dir, name, data, rng):
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    if inp["dtype"] == np.float32:
        x = rng.random(inp["shape"], dtype=np.float32)
    else:
        info = np.iinfo(inp["dtype"])
        x = rng.integers(info.min, info.max + 1, inp["shape"]).astype(inp["dtype"])
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    y = interp.get_tensor(interp.get_output_details()[0]["index"])
    with open(os.path.join(out_dir, name + ".tflite"), "wb") as f:
        f.write(data)
    np.save(os.path.join(out_dir, name + ".input.npy"), x)
    np.save(os.path.join(out_dir, name + ".output.npy"), y)
    print(f"{name}.tflite: {len(data)} bytes, output {y.dtype}{list(y.shape)} {y.ravel()[:4]}")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/tflite"
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(14)
    check_and_write(out_dir, "tiny_float", float_model(rng), rng)
    check_and_write(out_dir, "tiny_int8", int8_model(rng), rng)
    check_and_write(out_dir, "tiny_float_forms", other_forms(float_model(np.random.default_rng(14))), rng)


if __name__ == "__main__":
    main()
