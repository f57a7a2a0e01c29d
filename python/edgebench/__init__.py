"""edgebench: benchmark neural networks on edge targets.

`edgebench.target` is the pure-Python target that serves a deployment runtime (ONNX Runtime,
TensorFlow Lite, OpenVINO, TVM) over the edgebench wire protocol (docs/protocol.md).
"""

__version__ = "0.1.0"
