"""python -m edgebench.target --listen HOST:PORT --runtime onnxruntime|tflite|openvino|tvm
[--runtime-option K=V ...] [--delegate LIB[:K=V,...]] [--token-file F] [--max-model-bytes N]
[--max-tensor-bytes N] [--max-frame-bytes N] [--idle-timeout SEC] [--read-timeout SEC]
[--threads-max N]

Serves one runtime over the edgebench protocol, one session at a time. Once listening it prints
one line, `edgebench.target listening on HOST:PORT`, which the host reads to find the port.
Exit status: 0 after SIGTERM/SIGINT, 2 for bad flags or a runtime that cannot be served.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys

from . import protocol as p
from .runtimes import OptionError, SetupError, make_runtime
from .server import DEFAULT_BUSY_POLL_US, Server, ServerOptions

PROG = "edgebench.target"


def fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def read_token(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            token = f.read()
    except OSError as e:
        raise SetupError(f"--token-file {path}: cannot open it ({e.strerror})") from None
    token = token.rstrip(b"\r\n ")
    if not token:
        raise SetupError(f"--token-file {path}: the file is empty")
    if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f"{PROG}: warning: {path} is readable by other users", file=sys.stderr)
    return token


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be positive")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"'{text}' must be between 0 and 1e6 seconds")
    return value


def parse_cpu_list(text: str):
    """'0,2-3' -> {0, 2, 3}; ValueError naming the bad part."""
    cores = set()
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ValueError(f"'{part}' is not a core number or a range A-B")
        first, last = int(lo), int(hi) if dash else int(lo)
        if last < first or last > 4095:
            raise ValueError(f"'{part}' is not a valid range of cores")
        cores.update(range(first, last + 1))
    return cores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {PROG}",
        description="Serves a deployment runtime over the edgebench protocol.")
    parser.add_argument("--listen", default="127.0.0.1:7878",
                        help="HOST:PORT to listen on (port 0: any free port)")
    parser.add_argument("--runtime", required=True,
                        help="onnxruntime, tflite, openvino or tvm")
    parser.add_argument("--runtime-option", action="append", default=[], metavar="K=V",
                        help="a runtime option (repeatable); IO_SPEC may override it")
    parser.add_argument("--delegate", metavar="LIB[:K=V,...]",
                        help="a TFLite delegate library and its options")
    parser.add_argument("--token-file", help="file holding a token clients must send (AUTH)")
    parser.add_argument("--max-model-bytes", type=positive_int)
    parser.add_argument("--max-tensor-bytes", type=positive_int)
    parser.add_argument("--max-frame-bytes", type=positive_int)
    parser.add_argument("--idle-timeout", type=seconds, default=300.0)
    parser.add_argument("--read-timeout", type=seconds, default=10.0)
    parser.add_argument("--threads-max", type=positive_int,
                        help="most threads an IO_SPEC may ask for (default: the cores)")
    parser.add_argument("--busy-poll-us", type=int, default=DEFAULT_BUSY_POLL_US, metavar="US",
                        help="before sleeping until the next message arrives, check for it "
                             "without giving up the core for this long (default "
                             f"{DEFAULT_BUSY_POLL_US}; 0: off); keeps the core awake between "
                             "queries, so that each inference starts on a warm core, at the cost "
                             "of spinning up to this long after each reply")
    parser.add_argument("--warm-run", action="store_true",
                        help="run each query once untimed before the timed run: the latency of "
                             "a runtime whose caches hold the model (what a back-to-back loop "
                             "measures), at twice the compute; default off: each query is "
                             "timed as it comes, after the protocol work between queries")
    parser.add_argument("--cpu", metavar="LIST",
                        help="pin the target (and the runtime's threads) to these cores, e.g. "
                             "1 or 0,2-3")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        try:
            cores = parse_cpu_list(args.cpu)
            os.sched_setaffinity(0, cores)
        except ValueError as e:
            return fail(f"--cpu '{args.cpu}': {e}")
        except OSError as e:
            return fail(f"--cpu '{args.cpu}': cannot pin to these cores ({e.strerror})")

    if not 0 <= args.busy_poll_us <= 1_000_000:
        return fail(f"--busy-poll-us {args.busy_poll_us}: must be between 0 and 1000000")
    listen = args.listen
    if ":" not in listen:
        listen = "127.0.0.1:" + listen
    if listen.startswith(":"):
        listen = "127.0.0.1" + listen
    try:
        host, port = p.parse_host_port(listen, allow_port_zero=True)
    except ValueError as e:
        return fail(f"--listen: {e}")
    options = ServerOptions(host=host, port=port, idle_timeout=args.idle_timeout,
                            read_timeout=args.read_timeout, threads_max=args.threads_max or 0,
                            busy_poll_us=args.busy_poll_us, warm_run=args.warm_run)
    limits = options.limits
    if args.max_model_bytes:
        limits.max_model_bytes = args.max_model_bytes
    if args.max_frame_bytes:
        if args.max_frame_bytes < 4096:
            return fail("--max-frame-bytes must be at least 4096")
        if args.max_frame_bytes > 0xFFFFFFFF:
            return fail("--max-frame-bytes must fit in 32 bits")
        limits.max_frame_payload = args.max_frame_bytes
    if args.max_tensor_bytes:
        limits.max_tensor_bytes = args.max_tensor_bytes
        limits.max_tensor_list_bytes = max(limits.max_tensor_list_bytes, args.max_tensor_bytes)

    runtime_options = {}
    for item in args.runtime_option:
        key, eq, value = item.partition("=")
        if not eq or not key:
            return fail(f"--runtime-option '{item}': expected KEY=VALUE")
        runtime_options[key] = value
    try:
        if args.token_file:
            options.token = read_token(args.token_file)
        # Imported now, so that a missing package or a delegate that does not load fails here.
        runtime = make_runtime(args.runtime, runtime_options, args.delegate)
    except (SetupError, OptionError) as e:
        return fail(str(e))

    try:
        server = Server(options, runtime)
    except OSError as e:
        return fail(str(e))

    def on_signal(signum, frame):
        server.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    shown = f"[{host}]" if ":" in host else host
    print(f"{PROG} listening on {shown}:{server.port}", flush=True)
    server.serve()
    print(f"{PROG}: stopped after {server.sessions} sessions ({server.busy_refusals} busy "
          f"refusals, {server.failed_sessions} ended by an error)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
