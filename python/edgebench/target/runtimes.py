"""The runtimes a Python target serves, each behind the same small interface:

    rt = make_runtime(name, options, delegate)     # imports the package (fails before listening)
    inputs, outputs = rt.load(model_path, model_bytes, fmt, threads, input_shapes, options)
    rt.bind(arrays)                                # inputs, in the order of `inputs`
    ns = rt.run()                                  # the runtime's run call alone, timed
    arrays = rt.outputs()
    rt.info()                                      # the "runtime" object of HELLO / IO_SPEC

Specs are dicts {name, dtype (NumPy name), shape (-1 for a dimension the runtime leaves open),
and "quantization": {scale, zero_point} for quantized integer tensors}.

Errors: SetupError (the target cannot serve this runtime: exit 2 at start), ModelError (the
runtime cannot read or rejects the model: BAD_MODEL), OptionError (bad options or input shapes:
BAD_INPUT), RunError (the runtime failed: INTERNAL).
"""

from __future__ import annotations

import os
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

PINNED = {
    "onnxruntime": "onnxruntime==1.31.1",
    "openvino": "openvino==2026.4.1",
    "tflite": "ai-edge-litert==2.3.0",
    "tvm": "apache-tvm==0.27.0.post1",
}


class SetupError(Exception):
    pass


class ModelError(Exception):
    pass


class OptionError(Exception):
    pass


class RunError(Exception):
    pass


def first_lines(text: str, n: int = 6) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return "\n".join(lines[:n]) if lines else str(text)


def model_format(data: bytes) -> str:
    """"tflite" when the flatbuffer file identifier TFL3 sits at bytes 4..8, else "onnx"."""
    return "tflite" if len(data) >= 8 and data[4:8] == b"TFL3" else "onnx"


def _missing(runtime: str, error: BaseException) -> SetupError:
    return SetupError(f"the {runtime} runtime needs its Python package, which does not import "
                      f"({error}); install it with: pip install {PINNED[runtime]}")


def _resolve_shape(name: str, dims: Sequence, given: Dict[str, List[int]]) -> List[int]:
    if name in given:
        shape = [int(d) for d in given[name]]
        if len(shape) != len(dims):
            raise OptionError(f"IO_SPEC: input_shapes['{name}'] has rank {len(shape)}; the model's "
                              f"input '{name}' has rank {len(dims)}")
        for want, have in zip(shape, dims):
            if isinstance(have, int) and have >= 0 and have != want:
                raise OptionError(f"IO_SPEC: input_shapes['{name}'] is {shape}; the model fixes "
                                  f"it to {list(dims)}")
        return shape
    return [d if isinstance(d, int) and d >= 0 else -1 for d in dims]


class Runtime:
    name = ""
    # option key -> (default, description)
    known_options: Dict[str, Tuple[str, str]] = {}

    def __init__(self, options: Dict[str, str], delegate: Optional[str]):
        self.check_options(options, "--runtime-option")
        self.base_options = dict(options)
        self.delegate_spec = delegate
        self.version = ""
        self.threads = 1
        self.precision: Optional[str] = None
        self.options: Dict[str, str] = self.effective_options({})
        self.device = "CPU"
        self.delegate = None

    @classmethod
    def check_options(cls, options: Dict[str, str], where: str) -> None:
        for key, value in options.items():
            if key not in cls.known_options:
                known = ", ".join(sorted(cls.known_options)) or "none"
                raise OptionError(f"{where}: the {cls.name} runtime has no option '{key}' "
                                  f"(known options: {known})")
            if not isinstance(value, str):
                raise OptionError(f"{where}: option '{key}' must be a string, got {value!r}")

    def effective_options(self, options: Dict[str, str]) -> Dict[str, str]:
        merged = {k: v[0] for k, v in self.known_options.items()}
        merged.update(self.base_options)
        merged.update(options)
        return merged

    def info(self) -> dict:
        return {"name": self.name, "version": self.version, "device": self.device,
                "delegate": self.delegate, "threads": self.threads,
                "precision": self.precision, "options": self.options}


# --- ONNX Runtime -----------------------------------------------------------------------------

_ORT_TYPES = {
    "tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
    "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(int16)": "int16",
    "tensor(uint16)": "uint16", "tensor(int32)": "int32", "tensor(uint32)": "uint32",
    "tensor(int64)": "int64", "tensor(uint64)": "uint64", "tensor(bool)": "bool",
}
# Operators whose presence means ONNX Runtime computes (part of) the model in integers.
_INTEGER_OPS = (b"QuantizeLinear", b"QLinearConv", b"QLinearMatMul", b"MatMulInteger",
                b"ConvInteger", b"DynamicQuantizeLinear")


class OnnxRuntime(Runtime):
    name = "onnxruntime"
    known_options = {
        "ep": ("cpu", "execution provider: cpu, or a provider name such as cuda"),
        "graph_optimization_level": ("all", "disable, basic, extended or all"),
    }

    def __init__(self, options, delegate):
        super().__init__(options, delegate)
        if delegate:
            raise SetupError("--delegate is a TFLite option; the onnxruntime runtime takes "
                             "--runtime-option ep=NAME")
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise _missing(self.name, e) from None
        self.ort = ort
        self.version = ort.__version__
        self.providers = ort.get_available_providers()
        self._provider(self.effective_options({}))
        self.session = None

    def _provider(self, opts) -> str:
        ep = opts["ep"]
        wanted = "CPUExecutionProvider" if ep.lower() == "cpu" else ep
        if not wanted.endswith("ExecutionProvider"):
            wanted = {"cuda": "CUDA", "tensorrt": "Tensorrt", "openvino": "OpenVINO",
                      "dml": "Dml", "coreml": "CoreML", "rocm": "ROCM"}.get(
                          ep.lower(), ep) + "ExecutionProvider"
        if wanted not in self.providers:
            raise OptionError(f"onnxruntime: execution provider '{ep}' is not available here "
                              f"(available: {', '.join(self.providers)})")
        return wanted

    def load(self, path, data, fmt, threads, shapes, options):
        ort = self.ort
        if fmt != "onnx":
            raise ModelError("the onnxruntime runtime runs ONNX models; this is a TFLite model "
                             "(run it with --backend tflite)")
        opts = self.effective_options(options)
        levels = {"disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                  "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                  "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                  "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
        level = opts["graph_optimization_level"]
        if level not in levels:
            raise OptionError(f"onnxruntime: graph_optimization_level '{level}' is not one of "
                              f"{', '.join(levels)}")
        provider = self._provider(opts)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = levels[level]
        so.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(data, so, providers=[provider])
        except Exception as e:  # the runtime's own exception types vary by failure
            raise ModelError(f"onnxruntime rejected the model: {first_lines(e)}") from None
        inputs = [{"name": i.name, "dtype": _ORT_TYPES.get(i.type, i.type),
                   "shape": _resolve_shape(i.name, i.shape, shapes)}
                  for i in self.session.get_inputs()]
        for name in shapes:
            if name not in [i["name"] for i in inputs]:
                raise OptionError(f"IO_SPEC: input_shapes names '{name}', which is not an input "
                                  "of the model")
        outputs = [{"name": o.name, "dtype": _ORT_TYPES.get(o.type, o.type),
                    "shape": [d if isinstance(d, int) and d >= 0 else -1 for d in o.shape]}
                   for o in self.session.get_outputs()]
        self.binding = self.session.io_binding()
        self._bound_key = None  # a new binding: the next DATA binds again
        self.input_names = [i["name"] for i in inputs]
        self.output_names = [o["name"] for o in outputs]
        self.threads = threads
        self.device = provider.replace("ExecutionProvider", "").upper()
        self.options = opts
        if any(op in data for op in _INTEGER_OPS):
            self.precision = "int8"
        elif any(i["dtype"] == "float16" for i in inputs):
            self.precision = "f16"
        else:
            self.precision = "f32"
        return inputs, outputs

    def bind(self, arrays):
        """Binds the inputs, bound once and then copied into while their shapes and types stay:
        every query then runs on the same input and output memory, as a deployed loop does."""
        key = [(a.shape, a.dtype) for a in arrays]
        if key == self._bound_key:
            for buffer, array in zip(self._bound, arrays):
                np.copyto(buffer, array)
            return
        self.binding.clear_binding_inputs()
        self.binding.clear_binding_outputs()
        buffers = [np.array(a, copy=True, order="C") for a in arrays]
        for name, buffer in zip(self.input_names, buffers):
            self.binding.bind_cpu_input(name, buffer)
        for name in self.output_names:
            self.binding.bind_output(name, "cpu")
        self._bound = buffers  # the binding refers to their memory
        self._bound_key = key

    def run(self) -> int:
        t0 = time.perf_counter_ns()
        self.session.run_with_iobinding(self.binding)
        return time.perf_counter_ns() - t0

    def outputs(self):
        return self.binding.copy_outputs_to_cpu()


# --- OpenVINO ---------------------------------------------------------------------------------


class OpenVinoRuntime(Runtime):
    name = "openvino"
    known_options = {
        "device": ("CPU", "OpenVINO device: CPU, GPU, NPU, AUTO, ..."),
        "precision": ("f32", "inference precision hint: f32, bf16 or f16"),
        "performance_hint": ("LATENCY", "LATENCY or THROUGHPUT"),
    }

    def __init__(self, options, delegate):
        super().__init__(options, delegate)
        if delegate:
            raise SetupError("--delegate is a TFLite option; the openvino runtime takes "
                             "--runtime-option device=NAME")
        try:
            import openvino as ov
        except ImportError as e:
            raise _missing(self.name, e) from None
        self.ov = ov
        self.core = ov.Core()
        self.version = ov.get_version()
        self.device = self.effective_options({})["device"]

    def load(self, path, data, fmt, threads, shapes, options):
        ov = self.ov
        opts = self.effective_options(options)
        if opts["precision"] not in ("f32", "bf16", "f16"):
            raise OptionError(f"openvino: precision '{opts['precision']}' is not one of f32, "
                              "bf16, f16")
        if opts["performance_hint"] not in ("LATENCY", "THROUGHPUT"):
            raise OptionError(f"openvino: performance_hint '{opts['performance_hint']}' is not "
                              "LATENCY or THROUGHPUT")
        available = self.core.available_devices
        device = opts["device"]
        if device.split(":")[0] not in ("AUTO", "MULTI", "HETERO") and device not in available:
            raise OptionError(f"openvino: device '{device}' is not available here (available: "
                              f"{', '.join(available)})")
        try:
            model = self.core.read_model(path)
        except Exception as e:  # OpenVINO raises RuntimeError subclasses of its own
            raise ModelError(f"openvino could not read the model: {first_lines(e)}") from None
        names = [p.get_any_name() for p in model.inputs]
        for name in shapes:
            if name not in names:
                raise OptionError(f"IO_SPEC: input_shapes names '{name}', which is not an input "
                                  "of the model")
        if shapes:
            model.reshape({name: ov.PartialShape(dims) for name, dims in shapes.items()})
        config = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": opts["performance_hint"],
                  "INFERENCE_PRECISION_HINT": opts["precision"]}
        try:
            self.compiled = self.core.compile_model(model, device, config)
        except Exception as e:
            raise ModelError(f"openvino could not compile the model: {first_lines(e)}") from None
        self.request = self.compiled.create_infer_request()

        def spec(port):
            ps = port.get_partial_shape()
            dims = [d.get_length() if d.is_static else -1 for d in ps]
            return {"name": port.get_any_name(),
                    "dtype": np.dtype(port.get_element_type().to_dtype()).name, "shape": dims}

        inputs = [spec(p) for p in self.compiled.inputs]
        outputs = [spec(p) for p in self.compiled.outputs]
        self.threads = threads
        self.device = device
        self.options = opts
        self.precision = self._executed_precision(opts["precision"])
        return inputs, outputs

    # Layers that do the arithmetic; their precision is the model's, whatever the hint says (a
    # QDQ model's convolutions run in int8 under an f32 hint).
    _COMPUTE_LAYERS = ("Convolution", "GroupConvolution", "Deconvolution", "FullyConnected",
                       "MatMul")
    _PRECISION_NAMES = {"i8": "int8", "u8": "int8", "f32": "f32", "bf16": "bf16", "f16": "f16"}

    def _executed_precision(self, asked: str) -> str:
        """The precisions the compiled model's compute layers run in ("int8", "f32",
        "int8+f32"), read from the runtime model; else the hint the device reports."""
        found = set()
        try:
            for op in self.compiled.get_runtime_model().get_ordered_ops():
                info = op.get_rt_info()
                if "layerType" not in info or "runtimePrecision" not in info:
                    continue
                if str(info["layerType"].astype(str)) in self._COMPUTE_LAYERS:
                    raw = str(info["runtimePrecision"].astype(str))
                    found.add(self._PRECISION_NAMES.get(raw, raw))
        except Exception:  # a device without a runtime model (some plugins): use the hint
            found = set()
        if found:
            return "+".join(sorted(found, key=lambda p: (p != "int8", p)))
        try:
            return self.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        except Exception:  # a device without this property: say what was asked and that
            return f"{asked} (hint; the device does not report it)"

    def bind(self, arrays):
        self._bound = [np.ascontiguousarray(a) for a in arrays]
        for i, a in enumerate(self._bound):
            self.request.set_input_tensor(i, self.ov.Tensor(a, shared_memory=True))

    def run(self) -> int:
        t0 = time.perf_counter_ns()
        self.request.infer()
        return time.perf_counter_ns() - t0

    def outputs(self):
        return [np.array(self.request.get_output_tensor(i).data, copy=True)
                for i in range(len(self.compiled.outputs))]


# --- TensorFlow Lite --------------------------------------------------------------------------


def _import_tflite():
    errors = []
    for module in ("ai_edge_litert.interpreter", "tflite_runtime.interpreter"):
        try:
            mod = __import__(module, fromlist=["Interpreter"])
            return mod, mod.Interpreter, mod.load_delegate, module
        except ImportError as e:
            errors.append(f"{module}: {e}")
    try:
        import tensorflow as tf  # the full TensorFlow, where that is what a board has
        return tf.lite, tf.lite.Interpreter, tf.lite.experimental.load_delegate, "tensorflow.lite"
    except ImportError as e:
        errors.append(f"tensorflow.lite: {e}")
    raise SetupError("the tflite runtime needs a TFLite interpreter, and none imports ("
                     + "; ".join(errors) + f"); install it with: pip install {PINNED['tflite']}")


def parse_delegate(spec: str) -> Tuple[str, Dict[str, str]]:
    """LIB[:K=V,...] -> (LIB, {K: V})."""
    lib, _, rest = spec.partition(":")
    options = {}
    if rest:
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            if not eq or not key:
                raise SetupError(f"--delegate {spec}: expected LIB[:KEY=VALUE,...], got '{item}'")
            options[key] = value
    if not lib:
        raise SetupError(f"--delegate {spec}: no library named")
    return lib, options


class TfliteRuntime(Runtime):
    name = "tflite"
    known_options = {
        "xnnpack": ("on", "on: TFLite's default XNNPACK delegate on CPU; off: builtin kernels only"),
    }

    def __init__(self, options, delegate):
        super().__init__(options, delegate)
        self.module, self.Interpreter, load_delegate, self.module_name = _import_tflite()
        self.version = getattr(self.module, "__version__", "") or _package_version(
            "ai-edge-litert" if self.module_name.startswith("ai_edge") else "tflite-runtime")
        self.delegates = []
        self.delegate = "xnnpack (built-in)"
        if delegate:
            lib, delegate_options = parse_delegate(delegate)
            try:
                self.delegates = [load_delegate(lib, delegate_options)]
            except (ValueError, OSError, RuntimeError) as e:
                raise SetupError(f"--delegate: the TFLite delegate {lib} does not load: "
                                 f"{first_lines(e, 3)}") from None
            self.delegate = lib
            self.device = os.path.basename(lib)
        if self.effective_options({})["xnnpack"] not in ("on", "off"):
            raise SetupError("--runtime-option xnnpack must be on or off")

    def load(self, path, data, fmt, threads, shapes, options):
        if fmt != "tflite":
            raise ModelError("the tflite runtime runs .tflite models; this is an ONNX model "
                             "(convert it, or run it with --backend onnxruntime)")
        opts = self.effective_options(options)
        if opts["xnnpack"] not in ("on", "off"):
            raise OptionError(f"tflite: xnnpack '{opts['xnnpack']}' is not on or off")
        kwargs = {"model_content": bytes(data), "num_threads": threads,
                  "experimental_delegates": self.delegates or None}
        if opts["xnnpack"] == "off" and hasattr(self.module, "OpResolverType"):
            kwargs["experimental_op_resolver_type"] = (
                self.module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        try:
            interp = self.Interpreter(**kwargs)
            details = interp.get_input_details()
            names = [d["name"] for d in details]
            for name in shapes:
                if name not in names:
                    raise OptionError(f"IO_SPEC: input_shapes names '{name}', which is not an "
                                      "input of the model")
            for d in details:
                if d["name"] in shapes:
                    sig = [int(x) for x in d.get("shape_signature", d["shape"])]
                    interp.resize_tensor_input(
                        d["index"], _resolve_shape(d["name"], sig, shapes), strict=True)
            interp.allocate_tensors()
        except OptionError:
            raise
        except Exception as e:  # ValueError / RuntimeError from the interpreter
            raise ModelError(f"tflite rejected the model: {first_lines(e)}") from None
        self.interp = interp

        def spec(d):
            out = {"name": d["name"], "dtype": np.dtype(d["dtype"]).name,
                   "shape": [int(x) for x in d["shape"]]}
            scale, zero_point = d.get("quantization", (0.0, 0))
            if np.issubdtype(np.dtype(d["dtype"]), np.integer) and scale:
                out["quantization"] = {"scale": float(scale), "zero_point": int(zero_point)}
            return out

        self.in_details = interp.get_input_details()
        self.out_details = interp.get_output_details()
        inputs = [spec(d) for d in self.in_details]
        outputs = [spec(d) for d in self.out_details]
        self.threads = threads
        self.options = opts
        if not self.delegates:
            self.delegate = "xnnpack (built-in)" if opts["xnnpack"] == "on" else "none"
        self.precision = self._precision(interp, inputs)
        return inputs, outputs

    @staticmethod
    def _precision(interp, inputs) -> str:
        """What the kernels compute in, read from the model's tensor types."""
        tensor_types = set()
        quantized_int8 = False
        for t in interp.get_tensor_details():
            dt = np.dtype(t["dtype"])
            tensor_types.add(dt.name)
            if dt.name in ("int8", "uint8") and t.get("quantization", (0.0, 0))[0]:
                quantized_int8 = True
        if any(i["dtype"] in ("int8", "uint8") and "quantization" in i for i in inputs):
            return "int8"
        if quantized_int8 and "float32" in tensor_types:
            return "f32 (int8 dynamic-range weights)"
        if "float16" in tensor_types:
            return "f32 (f16 weights)"
        return "f32"

    def bind(self, arrays):
        for d, a in zip(self.in_details, arrays):
            self.interp.set_tensor(d["index"], a)

    def run(self) -> int:
        t0 = time.perf_counter_ns()
        self.interp.invoke()
        return time.perf_counter_ns() - t0

    def outputs(self):
        return [np.array(self.interp.get_tensor(d["index"]), copy=True) for d in self.out_details]


def _package_version(dist: str) -> str:
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:  # metadata absent on some board images
        return "unknown"


# --- TVM --------------------------------------------------------------------------------------


class TvmRuntime(Runtime):
    name = "tvm"
    known_options = {
        "target": ("llvm", "TVM target: llvm (with the host's -mcpu) or a JSON target dict"),
    }

    def __init__(self, options, delegate):
        super().__init__(options, delegate)
        if delegate:
            raise SetupError("--delegate is a TFLite option; the tvm runtime takes "
                             "--runtime-option target=...")
        try:
            import tvm
            from tvm import relax
            from tvm.relax.frontend.onnx import from_onnx
        except ImportError as e:
            raise _missing(self.name, e) from None
        try:
            import onnx
        except ImportError as e:
            raise SetupError(f"the tvm runtime reads ONNX models with the onnx package, which "
                             f"does not import ({e}); install it with: pip install onnx==1.23.2"
                             ) from None
        self.tvm, self.relax, self.from_onnx, self.onnx = tvm, relax, from_onnx, onnx
        self.version = tvm.__version__
        self.config_threadpool = tvm.get_global_func("runtime.config_threadpool", True)
        self.precision = "f32"

    def _target(self, text: str):
        import json
        if text == "llvm":
            get_cpu = self.tvm.get_global_func("target.llvm_get_system_cpu", True)
            cpu = get_cpu() if get_cpu else ""
            spec = {"kind": "llvm", "mcpu": cpu} if cpu else {"kind": "llvm"}
        elif text.startswith("{"):
            try:
                spec = json.loads(text)
            except ValueError as e:
                raise OptionError(f"tvm: target '{text}' is not a JSON object: {e}") from None
        else:
            spec = text
        try:
            return self.tvm.target.Target(spec)
        except Exception as e:  # TVM raises ValueError/TVMError
            raise OptionError(f"tvm: target '{text}' does not parse: {first_lines(e, 2)}") from None

    def load(self, path, data, fmt, threads, shapes, options):
        if fmt != "onnx":
            raise ModelError("the tvm runtime runs ONNX models; this is a TFLite model "
                             "(run it with --backend tflite)")
        opts = self.effective_options(options)
        target = self._target(opts["target"])
        try:
            model = self.onnx.load_model_from_string(bytes(data))
        except Exception as e:  # protobuf DecodeError
            raise ModelError(f"tvm could not read the ONNX model: {first_lines(e)}") from None
        initializers = {t.name for t in model.graph.initializer}
        graph_inputs = [i for i in model.graph.input if i.name not in initializers]
        dtype_of = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
                    7: "int64", 9: "bool", 10: "float16", 11: "float64", 12: "uint32",
                    13: "uint64"}
        inputs = []
        for i in graph_inputs:
            tt = i.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
            shape = _resolve_shape(i.name, dims, shapes)
            if any(d < 0 for d in shape):
                raise OptionError(f"tvm: input '{i.name}' has symbolic dims {dims}; give them in "
                                  "IO_SPEC input_shapes")
            inputs.append({"name": i.name, "dtype": dtype_of.get(tt.elem_type, "undefined"),
                           "shape": shape})
        for name in shapes:
            if name not in [i["name"] for i in inputs]:
                raise OptionError(f"IO_SPEC: input_shapes names '{name}', which is not an input "
                                  "of the model")
        try:
            mod = self.from_onnx(model, shape_dict={i["name"]: i["shape"] for i in inputs})
            executable = self.tvm.compile(mod, target=target)
            self.dev = self.tvm.cpu()
            self.vm = self.relax.VirtualMachine(executable, self.dev)
        except Exception as e:  # the frontend and compiler raise many types
            raise ModelError(f"tvm could not import or compile the model: {first_lines(e)}"
                             ) from None
        if self.config_threadpool is not None:
            # (affinity mode 0: default, number of threads)
            self.config_threadpool(0, threads)
        self.threads = threads
        self.options = opts
        self.device = str(target.kind.name) + (f" ({target.attrs['mcpu']})"
                                               if "mcpu" in target.attrs else "")
        # Output specs come from one run on zeros (Relax may leave them symbolic otherwise).
        self.bind([np.zeros(i["shape"], dtype=i["dtype"]) for i in inputs])
        self.run()
        outs = self.outputs()
        outputs = [{"name": o.name, "dtype": a.dtype.name, "shape": list(a.shape)}
                   for o, a in zip(model.graph.output, outs)]
        return inputs, outputs

    def bind(self, arrays):
        # Inputs are copied to the device and set on the VM before the clock; run() times the
        # stateful invocation alone.
        self._bound = [self.tvm.runtime.tensor(np.ascontiguousarray(a), self.dev) for a in arrays]
        self.vm.set_input("main", *self._bound)

    def run(self) -> int:
        t0 = time.perf_counter_ns()
        self.vm.invoke_stateful("main")
        return time.perf_counter_ns() - t0

    def outputs(self):
        out = self.vm.get_outputs("main")
        if isinstance(out, (list, tuple)) or type(out).__name__ in ("Array", "List", "Tuple"):
            return [np.array(o.numpy(), copy=True) for o in out]
        return [np.array(out.numpy(), copy=True)]


RUNTIMES = {
    "onnxruntime": OnnxRuntime,
    "openvino": OpenVinoRuntime,
    "tflite": TfliteRuntime,
    "tvm": TvmRuntime,
}


def make_runtime(name: str, options: Dict[str, str], delegate: Optional[str]) -> Runtime:
    cls = RUNTIMES.get(name)
    if cls is None:
        raise SetupError(f"--runtime {name}: unknown runtime (one of: {', '.join(RUNTIMES)})")
    if delegate and name != "tflite":
        raise SetupError(f"--delegate is a TFLite option; the {name} runtime does not take it")
    return cls(options, delegate)
