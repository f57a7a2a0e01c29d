"""edgebench: benchmark neural networks on edge targets.

The library, compiled from edgebench's C++ core (the module ``edgebench._core``)::

    import edgebench
    info = edgebench.inspect("model.onnx")             # the `edgebench inspect --json` document
    outputs = edgebench.run("model.onnx", {"input": x})  # {output name: numpy array}
    record = edgebench.bench("model.onnx", backend="native", threads=1)
    print(edgebench.compare([record, other]))

Records are plain dicts with the fields of ``edgebench bench --json``; failures raise
``edgebench.EdgebenchError`` with the message the command line prints.

``edgebench.target`` is the pure-Python target that serves a deployment runtime (ONNX Runtime,
TensorFlow Lite, OpenVINO, TVM) over the edgebench wire protocol (docs/protocol.md); it needs
neither the compiled core nor anything but NumPy and the runtime, so it also runs on a board
where only ``pip install ./python`` was done.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

__version__ = "0.1.0"

if TYPE_CHECKING:
    import numpy as np

    from ._core import EdgebenchError

PathLike = Union[str, "os.PathLike[str]"]
Shapes = Mapping[str, Sequence[int]]

__all__ = ["EdgebenchError", "inspect", "run", "bench", "eval", "optimize", "analyze", "plan",
           "compare"]


def _lib():
    """The compiled module: installed with the package, or else the one a CMake build of this
    checkout wrote (EDGEBENCH_BUILD_DIR, default build/release)."""
    try:
        from . import _core as core

        return core
    except ImportError:
        pass
    repo = Path(__file__).resolve().parents[2]
    build = Path(os.environ.get("EDGEBENCH_BUILD_DIR", repo / "build" / "release"))
    if not build.is_absolute():
        build = repo / build
    built = build / "python" / "edgebench"
    if any(built.glob("_core*.so")) and str(built) not in __path__:
        __path__.append(str(built))
        from . import _core as core

        return core
    raise ImportError(
        "edgebench's compiled core (edgebench._core) is not installed: run `pip install .` at the "
        "repository root, or build a checkout with `bash scripts/setup.sh` (looked in "
        f"{built})"
    )


def __getattr__(name: str) -> Any:
    if name == "EdgebenchError":
        return _lib().EdgebenchError
    raise AttributeError(f"module 'edgebench' has no attribute '{name}'")


def _shapes(input_shapes: Optional[Shapes]) -> dict:
    return {k: [int(d) for d in v] for k, v in (input_shapes or {}).items()}


def inspect(model: PathLike, input_shapes: Optional[Shapes] = None) -> dict:
    """What an ONNX or TFLite model is made of: inputs and outputs, parameters, MACs and FLOPs,
    activation memory, and the kernel each node gets on the native engine. The same document as
    ``edgebench inspect MODEL --json FILE`` (schema ``edgebench.inspect/1``).

    input_shapes fixes symbolic input dims, e.g. ``{"input": [1, 3, 224, 224]}``; without them
    the figures that depend on those dims are None.
    """
    return _lib().inspect(os.fspath(model), _shapes(input_shapes))


def run(
    model: PathLike,
    inputs: Optional[Mapping[str, "np.ndarray"]] = None,
    *,
    backend: str = "native",
    threads: int = 1,
    seed: int = 0,
    input_shapes: Optional[Shapes] = None,
) -> "dict[str, np.ndarray]":
    """One inference. Inputs not given are seeded random (``seed``, as ``edgebench run
    --random-seed``); NCHW arrays are fitted to NHWC inputs and float arrays quantized for
    quantized inputs. Returns {output name: array}, in the model's output order.

    backend is any ``--backend`` of the command line: native, native-ref, onnxruntime, tflite,
    openvino, tvm (with options as ``onnxruntime?ep=cpu``), tcp://HOST:PORT, sim:DEVICE.
    """
    return _lib().run(
        os.fspath(model), dict(inputs or {}), backend, threads, seed, _shapes(input_shapes)
    )


def bench(
    model: PathLike,
    *,
    backend: str = "native",
    scenario: str = "single-stream",
    threads: int = 1,
    warmup: Optional[int] = None,
    min_queries: Optional[int] = None,
    min_duration: Optional[float] = None,
    max_duration: Optional[float] = None,
    target_qps: Optional[float] = None,
    latency_bound_ms: Optional[float] = None,
    batch: int = 1,
    dataset: str = "",
    limit: int = 0,
    seed: int = 0,
    input_shapes: Optional[Shapes] = None,
    profile_ops: bool = False,
    cpu: str = "",
    repeat: int = 1,
    baseline: str = "",
    noise_threshold: float = 5.0,
    db: Optional[PathLike] = None,
    label: str = "",
) -> dict:
    """Measures a model as ``edgebench bench`` does (scenarios single-stream, multi-stream,
    server, offline; defaults as on the command line) and returns the record: the same fields
    as ``edgebench bench --json``. ``cpu`` ("1", "0,2", "0-3") pins the measurement to those
    CPUs for the call; ``repeat`` rounds are pooled and their p50 spread judged against
    ``noise_threshold`` (%); ``baseline`` (a model file or a backend) is measured in alternating
    rounds and stored too. The record's ``conditions`` say where it ran and whether it was
    noisy. Nothing is stored unless ``db`` names a results database
    (SQLite file, or postgresql://...). A record short of the scenario's minimums comes back with
    ``valid`` False and the reasons in ``invalid_reasons``.
    """
    return _lib().bench(
        os.fspath(model),
        backend=backend,
        scenario=scenario,
        threads=threads,
        warmup=warmup,
        min_queries=min_queries,
        min_duration=min_duration,
        max_duration=max_duration,
        target_qps=target_qps,
        latency_bound_ms=latency_bound_ms,
        batch=batch,
        dataset=dataset,
        limit=limit,
        seed=seed,
        input_shapes=_shapes(input_shapes),
        profile_ops=profile_ops,
        cpu=cpu,
        repeat=repeat,
        baseline=os.fspath(baseline),
        noise_threshold=noise_threshold,
        db=None if db is None else os.fspath(db),
        label=label,
    )


def eval(  # noqa: A001 (the command's name)
    model: PathLike,
    dataset: str,
    *,
    limit: Optional[int] = None,
    backend: str = "native",
    threads: int = 1,
    reference: Optional[PathLike] = None,
    reference_backend: str = "native",
    input_shapes: Optional[Shapes] = None,
    warmup: int = 3,
    db: Optional[PathLike] = None,
    label: str = "",
) -> dict:
    """Quality on a dataset as ``edgebench eval`` measures it (accuracy, or the relative error
    against ``reference``), with per-sample latency; returns the record."""
    return _lib().eval(
        os.fspath(model),
        dataset,
        limit=limit,
        backend=backend,
        threads=threads,
        reference="" if reference is None else os.fspath(reference),
        reference_backend=reference_backend,
        input_shapes=_shapes(input_shapes),
        warmup=warmup,
        db=None if db is None else os.fspath(db),
        label=label,
    )


def optimize(
    model: PathLike,
    output: PathLike,
    *,
    quantize: str = "",
    per_channel: bool = False,
    calibration: str = "",
    calibration_method: str = "percentile",
    percentile: float = 99.99,
    calibration_limit: int = 500,
    prune: Optional[float] = None,
    prune_pattern: str = "unstructured",
    exclude: Sequence[str] = (),
    threads: int = 1,
    finetune_epochs: int = 0,
    qat: bool = False,
    train_dataset: str = "",
    train_limit: int = 0,
    lr: float = 1e-3,
    batch: int = 64,
    seed: int = 0,
) -> dict:
    """Writes an optimized copy of ``model`` to ``output``, as ``edgebench optimize`` does:
    ``quantize`` dynamic, int8, int8-fallback or fp16 (int8 calibrated on the ``calibration``
    dataset spec), and/or magnitude pruning to the ``prune`` sparsity (``prune_pattern``
    unstructured, 2:4, or block:RxC with fine-tuning). With ``finetune_epochs`` the sparsity
    rises gradually while the model trains on the labelled ``train_dataset`` (PyTorch, seeded);
    ``qat`` with ``quantize="int8"`` trains with int8 fake quantization before quantizing.
    Returns the file sizes before and after and the weight bytes of the result."""
    return _lib().optimize(
        os.fspath(model),
        os.fspath(output),
        quantize=quantize,
        per_channel=per_channel,
        calibration=calibration,
        calibration_method=calibration_method,
        percentile=percentile,
        calibration_limit=calibration_limit,
        prune=prune,
        prune_pattern=prune_pattern,
        exclude=list(exclude),
        threads=threads,
        finetune_epochs=finetune_epochs,
        qat=qat,
        train_dataset=train_dataset,
        train_limit=train_limit,
        lr=lr,
        batch=batch,
        seed=seed,
    )


def analyze(
    model: PathLike,
    reference: PathLike,
    dataset: str,
    *,
    limit: int = 200,
    backend: str = "native",
    threads: int = 1,
) -> dict:
    """Where a quantized ``model`` loses accuracy against its float ``reference`` on a dataset:
    the ``edgebench analyze --json`` document (SQNR and relative L2 per weight and activation,
    the outputs' relative error and argmax changes, the weights' width dispersion)."""
    return _lib().analyze(
        os.fspath(model), os.fspath(reference), dataset, limit=limit, backend=backend,
        threads=threads
    )


def plan(
    models: Union[PathLike, Sequence[PathLike]],
    device: str,
    *,
    trace: str = "",
    separately: bool = False,
    input_shapes: Optional[Shapes] = None,
    segments: int = 0,
    strategy: str = "parameters",
    cuts: Sequence[int] = (),
    export_dir: Optional[PathLike] = None,
) -> dict:
    """How models would compile for an accelerator ``device`` (a name such as ``edgetpu-usb3``
    or a device .json file): the ``edgebench plan --json`` document, with mapped ops, on- and
    off-chip parameter bytes and predicted latency per model, co-compiled in the given order
    unless ``separately``; a request ``trace`` ("A B A B") adds per-request latencies and the
    recommended compile order; ``segments`` cuts the first model for a pipeline of devices
    (written as ONNX files to ``export_dir`` when given)."""
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    return _lib().plan(
        [os.fspath(m) for m in models],
        device,
        trace=trace,
        separately=separately,
        input_shapes=_shapes(input_shapes),
        segments=segments,
        strategy=strategy,
        cuts=[int(c) for c in cuts],
        export_dir="" if export_dir is None else os.fspath(export_dir),
    )


def compare(records: Sequence[dict], format: str = "text") -> str:  # noqa: A002
    """The ``edgebench compare`` table of records (from bench, eval or a JSON file): one column
    per record, with ratios against the first. format: text, markdown or html."""
    return _lib().compare(list(records), format)
