# Type stubs of the compiled module (src/python/module.cc); edgebench/__init__.py wraps it.
from typing import Mapping, Optional, Sequence

import numpy as np

__version__: str

class EdgebenchError(RuntimeError): ...

def inspect(model: str, input_shapes: Mapping[str, Sequence[int]] = ...) -> dict: ...
def run(
    model: str,
    inputs: Mapping[str, np.ndarray] = ...,
    backend: str = ...,
    threads: int = ...,
    seed: int = ...,
    input_shapes: Mapping[str, Sequence[int]] = ...,
) -> dict[str, Optional[np.ndarray]]: ...
def bench(
    model: str,
    backend: str = ...,
    scenario: str = ...,
    threads: int = ...,
    warmup: Optional[int] = ...,
    min_queries: Optional[int] = ...,
    min_duration: Optional[float] = ...,
    max_duration: Optional[float] = ...,
    target_qps: Optional[float] = ...,
    latency_bound_ms: Optional[float] = ...,
    batch: int = ...,
    dataset: str = ...,
    limit: int = ...,
    seed: int = ...,
    input_shapes: Mapping[str, Sequence[int]] = ...,
    profile_ops: bool = ...,
    cpu: str = ...,
    repeat: int = ...,
    baseline: str = ...,
    noise_threshold: float = ...,
    db: Optional[str] = ...,
    label: str = ...,
) -> dict: ...
def eval(
    model: str,
    dataset: str,
    limit: Optional[int] = ...,
    backend: str = ...,
    threads: int = ...,
    reference: str = ...,
    reference_backend: str = ...,
    input_shapes: Mapping[str, Sequence[int]] = ...,
    warmup: int = ...,
    db: Optional[str] = ...,
    label: str = ...,
) -> dict: ...
def optimize(
    model: str,
    output: str,
    quantize: str = ...,
    per_channel: bool = ...,
    calibration: str = ...,
    calibration_method: str = ...,
    percentile: float = ...,
    calibration_limit: int = ...,
    prune: Optional[float] = ...,
    prune_pattern: str = ...,
    exclude: Sequence[str] = ...,
    threads: int = ...,
    finetune_epochs: int = ...,
    qat: bool = ...,
    train_dataset: str = ...,
    train_limit: int = ...,
    lr: float = ...,
    batch: int = ...,
    seed: int = ...,
) -> dict: ...
def analyze(
    model: str,
    reference: str,
    dataset: str,
    limit: int = ...,
    backend: str = ...,
    threads: int = ...,
) -> dict: ...
def plan(
    models: Sequence[str],
    device: str,
    trace: str = ...,
    separately: bool = ...,
    input_shapes: Mapping[str, Sequence[int]] = ...,
    segments: int = ...,
    strategy: str = ...,
    cuts: Sequence[int] = ...,
    export_dir: str = ...,
) -> dict: ...
def compare(records: Sequence[dict], format: str = ...) -> str: ...
