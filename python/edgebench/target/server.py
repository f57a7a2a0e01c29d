"""The Python target's sessions: the same message rules, limits, timeouts and one-session policy
as the C++ edgebench-target (src/target/server.cc, docs/protocol.md)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import platform
import resource
import select
import shutil
import socket
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional

from . import protocol as p
from .runtimes import ModelError, OptionError, Runtime, model_format

SERVER_NAME = "edgebench.target (python)"
# Replies up to this size may be held back to go out with the next one (pipelined requests).
MAX_DEFERRED_BYTES = 64 * 1024
# Which model formats each runtime reads.
FORMATS = {"onnxruntime": ("onnx",), "openvino": ("onnx", "tflite"), "tflite": ("tflite",),
           "tvm": ("onnx",)}
FORMAT_NAMES = {"onnx": "ONNX", "tflite": "TFLite (.tflite)"}


DEFAULT_BUSY_POLL_US = 2000  # see ServerOptions.busy_poll_us


@dataclasses.dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0
    limits: p.Limits = dataclasses.field(default_factory=p.Limits)
    token: Optional[bytes] = None
    idle_timeout: float = 300.0
    read_timeout: float = 10.0
    threads_max: int = 0  # 0: the machine's cores
    # Check for the next message this long without sleeping (0: off). A core that sleeps between
    # queries wakes slower and colder: ONNX Runtime's p50 on a 65 us CNN measured 0.041 ms run
    # back to back, 0.093 ms with a 0.5 ms sleep between runs, 0.047 ms with a 0.5 ms spin.
    busy_poll_us: int = DEFAULT_BUSY_POLL_US
    # Run each query once untimed before the timed run: the latency of a runtime whose caches
    # hold the model, as a back-to-back loop measures it, at twice the compute. The protocol
    # work between queries (Python decoding and encoding) evicts the runtime's code and data:
    # ONNX Runtime on a 65 us CNN ran 1.43-1.6x its in-process loop's p50 without this and
    # 1.03-1.05x with it (bench/runtime_overhead.py, interleaved). Off by default.
    warm_run: bool = False


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "processor\t: ")):
                    value = line.split(":", 1)[1].strip()
                    if value and not value.isdigit():
                        return value
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def token_matches(given: bytes, expected: bytes) -> bool:
    # Digests first, so the comparison's time depends neither on where the tokens differ nor on
    # the length of the one sent.
    return hmac.compare_digest(hashlib.sha256(given).digest(), hashlib.sha256(expected).digest())


def onnx_node_count(data: bytes) -> int:
    """Walks the protobuf wire format far enough to tell an ONNX ModelProto from other bytes:
    every top-level field must parse, and a graph (field 7) must be there; returns its node
    count (GraphProto field 1). Raises ModelError naming what is wrong."""

    def fields(buf: memoryview, what: str):
        pos, end = 0, len(buf)

        def varint():
            nonlocal pos
            value = shift = 0
            while True:
                if pos >= end or shift > 63:
                    raise ModelError(f"not an ONNX model: truncated varint in the {what}")
                b = buf[pos]
                pos += 1
                value |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    return value

        while pos < end:
            key = varint()
            number, wire = key >> 3, key & 7
            if number == 0:
                raise ModelError(f"not an ONNX model: field number 0 in the {what}")
            if wire == 0:
                varint()
                yield number, wire, None
            elif wire == 1 or wire == 5:
                n = 8 if wire == 1 else 4
                if pos + n > end:
                    raise ModelError(f"not an ONNX model: truncated field {number} in the {what}")
                pos += n
                yield number, wire, None
            elif wire == 2:
                n = varint()
                if n > end - pos:
                    raise ModelError(f"not an ONNX model: field {number} of the {what} claims "
                                     f"{n} bytes, {end - pos} present")
                yield number, wire, buf[pos:pos + n]
                pos += n
            else:
                raise ModelError(f"not an ONNX model: wire type {wire} in the {what} "
                                 "(the bytes are not a protobuf ModelProto)")

    graph = None
    for number, wire, value in fields(memoryview(data), "model"):
        if number == 7 and wire == 2:
            graph = value
    if graph is None:
        raise ModelError("not an ONNX model: no graph (ModelProto field 7)")
    return sum(1 for number, wire, _ in fields(graph, "graph") if number == 1 and wire == 2)


class Session:
    HELLO, AUTH, NO_MODEL, MODEL, COMPILED = range(5)

    def __init__(self, options: ServerOptions, runtime: Runtime, conn: p.Connection):
        self.options = options
        self.limits = options.limits
        self.runtime = runtime
        self.conn = conn
        self.state = Session.HELLO
        self.folder: Optional[str] = None
        self.model_path: Optional[str] = None
        self.model_bytes = b""
        self.model_fmt = ""
        self.inputs: List[dict] = []
        self.outputs: List[dict] = []
        self.inputs_valid = self.outputs_valid = False
        self.queries = 0
        self.ms_total = self.ms_min = self.ms_max = 0.0
        self.pending: List[bytes] = []
        cores = os.cpu_count() or 1
        self.max_threads = max(1, min(cores, options.threads_max or cores))

    def close(self) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    # Returns whether the session ended cleanly (the client closed).
    def run(self) -> bool:
        while True:
            idle = (self.options.read_timeout if self.state == Session.HELLO
                    else self.options.idle_timeout)
            if not self.conn.has_buffered_frame() and not self.flush_pending():
                return False
            try:
                message = self.conn.receive(idle, self.options.read_timeout)
            except p.ConnectionClosed:
                return True
            except p.ProtocolError as e:
                self.reply_error(0, e.code, str(e))
                return False
            if not self.handle(message):
                return False

    # --- replies ------------------------------------------------------------------------------

    def _send(self, frames: bytes) -> bool:
        data = b"".join(self.pending) + frames
        self.pending = []
        try:
            self.conn.send_bytes(data, self.options.read_timeout)
            return True
        except (p.ConnectionClosed, p.ReceiveTimeout):
            return False

    def reply(self, mtype: int, rid: int, payload: bytes = b"") -> bool:
        frames = p.encode_message(mtype, rid, payload, self.conn.send_chunk)
        if self.conn.has_buffered_frame() and len(payload) <= MAX_DEFERRED_BYTES:
            self.pending.append(frames)
            return True
        return self._send(frames)

    def flush_pending(self) -> bool:
        return self._send(b"") if self.pending else True

    def reply_json(self, mtype: int, rid: int, obj: dict) -> bool:
        return self.reply(mtype, rid, p.encode_json(obj))

    def reply_error(self, rid: int, code: int, message: str) -> bool:
        return self._send(p.encode_message(p.MessageType.ERROR, rid,
                                           p.encode_error(code, message), self.conn.send_chunk))

    # --- requests -----------------------------------------------------------------------------

    def handle(self, m: p.Message) -> bool:
        T = p.MessageType
        if m.type == T.PING:
            return self.reply(T.OK, m.request_id, m.payload)
        if self.state == Session.HELLO:
            if m.type != T.HELLO:
                self.reply_error(m.request_id, p.ErrorCode.BAD_STATE,
                                 f"expected HELLO first, got {p.message_type_name(m.type)}")
                return False
            return self.on_hello(m)
        if self.state == Session.AUTH:
            if m.type != T.AUTH:
                self.reply_error(m.request_id, p.ErrorCode.AUTH, "this target requires AUTH "
                                 f"before {p.message_type_name(m.type)}")
                return False
            return self.on_auth(m)
        handler = {T.MODEL: self.on_model, T.IO_SPEC: self.on_io_spec, T.DATA: self.on_data,
                   T.PROCESS: self.on_process, T.OUTPUT: self.on_output,
                   T.STATS: self.on_stats}.get(m.type)
        if handler is None:
            return self.reply_error(m.request_id, p.ErrorCode.BAD_STATE,
                                    f"{p.message_type_name(m.type)} is not a request a target "
                                    "accepts here")
        return handler(m)

    def on_hello(self, m: p.Message) -> bool:
        try:
            hello = p.decode_json(m.payload, self.limits)
        except p.ProtocolError as e:
            self.reply_error(m.request_id, p.ErrorCode.BAD_FRAME, f"HELLO: {e}")
            return False
        version = hello.get("protocol_version")
        if type(version) is not int or version != p.PROTOCOL_VERSION:
            said = "nothing" if "protocol_version" not in hello else json.dumps(version)
            self.reply_error(m.request_id, p.ErrorCode.VERSION,
                             f"this target speaks protocol version {p.PROTOCOL_VERSION}; HELLO "
                             f"said {said}")
            return False
        rt = self.runtime
        reply = {
            "protocol_version": p.PROTOCOL_VERSION,
            "server": SERVER_NAME,
            "auth_required": self.options.token is not None,
            "backends": [rt.name],
            "backend": rt.name,
            "dtypes": p.DTYPE_NAMES,
            "max_threads": self.max_threads,
            "hostname": socket.gethostname(),
            "cpu": cpu_model(),
            "cores": os.cpu_count() or 1,
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(),
            "limits": self.limits.as_json(),
            "runtime": self.runtime_info(rt),
        }
        self.state = Session.AUTH if self.options.token is not None else Session.NO_MODEL
        return self.reply_json(p.MessageType.HELLO, m.request_id, reply)

    def on_auth(self, m: p.Message) -> bool:
        if not token_matches(m.payload, self.options.token):
            self.reply_error(m.request_id, p.ErrorCode.AUTH, "wrong token")
            return False
        self.state = Session.NO_MODEL
        return self.reply_json(p.MessageType.OK, m.request_id, {})

    def on_model(self, m: p.Message) -> bool:
        self.inputs_valid = self.outputs_valid = False
        self.state = Session.NO_MODEL
        self.model_bytes = b""
        fmt = model_format(m.payload)
        name = self.runtime.name
        if fmt not in FORMATS[name]:
            readable = " or ".join(FORMAT_NAMES[f] for f in FORMATS[name])
            return self.reply_error(m.request_id, p.ErrorCode.BAD_MODEL,
                                    f"the {name} runtime runs {readable} models; this is "
                                    f"{'an' if fmt == 'onnx' else 'a'} {FORMAT_NAMES[fmt]} model")
        result = {"model_bytes": len(m.payload), "format": fmt}
        if fmt == "onnx":
            try:
                result["nodes"] = onnx_node_count(m.payload)
            except ModelError as e:
                return self.reply_error(m.request_id, p.ErrorCode.BAD_MODEL,
                                        f"received model: {e}")
        try:
            if self.folder is None:
                self.folder = tempfile.mkdtemp(prefix="edgebench-target-")  # mode 0700
            path = os.path.join(self.folder, "model." + fmt)
            with open(path, "wb") as f:
                f.write(m.payload)
        except OSError as e:
            return self.reply_error(m.request_id, p.ErrorCode.INTERNAL,
                                    f"cannot write the model to the session folder: {e}")
        self.model_path, self.model_bytes, self.model_fmt = path, m.payload, fmt
        self.state = Session.MODEL
        return self.reply_json(p.MessageType.OK, m.request_id, result)

    def parse_compile_options(self, j: dict):
        threads = j.get("threads", 1)
        if type(threads) is not int or not 1 <= threads <= self.max_threads:
            raise OptionError(f"IO_SPEC: threads must be an integer in 1..{self.max_threads}, "
                              f"got {json.dumps(threads)}")
        shapes: Dict[str, List[int]] = {}
        s = j.get("input_shapes", {})
        if not isinstance(s, dict) or len(s) > self.limits.max_tensors:
            raise OptionError("IO_SPEC: input_shapes must be an object of name -> dims")
        for name, dims in s.items():
            if not isinstance(dims, list) or len(dims) > self.limits.max_rank:
                raise OptionError(f"IO_SPEC: input_shapes['{name}'] must be a list of at most "
                                  f"{self.limits.max_rank} dims")
            count = 1
            for d in dims:
                if type(d) is not int or d < 0:
                    raise OptionError(f"IO_SPEC: input_shapes['{name}'] holds {d!r}")
                count *= d
            if count * 8 > p.HARD_MAX_TENSOR_BYTES:
                raise OptionError(f"IO_SPEC: input_shapes['{name}']: {dims} is too large")
            shapes[name] = list(dims)
        options = j.get("runtime_options", {})
        if not isinstance(options, dict):
            raise OptionError("IO_SPEC: runtime_options must be an object of name -> string")
        self.runtime.check_options(options, "IO_SPEC runtime_options")
        return threads, shapes, options

    def on_io_spec(self, m: p.Message) -> bool:
        E = p.ErrorCode
        if self.state == Session.NO_MODEL:
            return self.reply_error(m.request_id, E.BAD_STATE, "IO_SPEC before a MODEL")
        try:
            request = p.decode_json(m.payload or b"{}", self.limits)
        except p.ProtocolError as e:
            return self.reply_error(m.request_id, E.BAD_INPUT, f"IO_SPEC: {e}")
        try:
            threads, shapes, options = self.parse_compile_options(request)
        except OptionError as e:
            return self.reply_error(m.request_id, E.BAD_INPUT, str(e))
        self.inputs_valid = self.outputs_valid = False
        self.state = Session.MODEL
        t0 = time.perf_counter_ns()
        try:
            inputs, outputs = self.runtime.load(self.model_path, self.model_bytes, self.model_fmt,
                                                threads, shapes, options)
        except OptionError as e:
            return self.reply_error(m.request_id, E.BAD_INPUT, str(e))
        except ModelError as e:
            return self.reply_error(m.request_id, E.BAD_MODEL, str(e))
        compile_ms = (time.perf_counter_ns() - t0) / 1e6
        self.inputs, self.outputs = inputs, outputs
        self.state = Session.COMPILED
        return self.reply_json(p.MessageType.IO_SPEC, m.request_id, {
            "inputs": inputs, "outputs": outputs, "compile_ms": compile_ms, "threads": threads,
            "runtime": self.runtime_info(self.runtime)})

    def check_inputs(self, tensors) -> Optional[str]:
        if len(tensors) != len(self.inputs):
            return f"DATA holds {len(tensors)} tensors; the model takes {len(self.inputs)}"
        for i, ((name, array), spec) in enumerate(zip(tensors, self.inputs)):
            shape = spec["shape"]
            ok = (name == spec["name"] and array.dtype.name == spec["dtype"]
                  and array.ndim == len(shape)
                  and all(s < 0 or s == d for s, d in zip(shape, array.shape)))
            if not ok:
                got = "[" + ",".join(str(d) for d in array.shape) + "]"
                want = "[" + ",".join(str(d) for d in shape) + "]"
                return (f"DATA tensor {i} is '{name}' {array.dtype.name}{got}; input {i} is "
                        f"'{spec['name']}' {spec['dtype']}{want}")
        return None

    def on_data(self, m: p.Message) -> bool:
        E = p.ErrorCode
        self.inputs_valid = self.outputs_valid = False
        if self.state != Session.COMPILED:
            return self.reply_error(m.request_id, E.BAD_STATE, "DATA before IO_SPEC")
        try:
            tensors = p.decode_tensor_list(m.payload, self.limits)
        except p.ProtocolError as e:
            return self.reply_error(m.request_id,
                                    E.TOO_LARGE if isinstance(e, p.TooLarge) else E.BAD_INPUT,
                                    f"DATA: {e}")
        problem = self.check_inputs(tensors)
        if problem:
            return self.reply_error(m.request_id, E.BAD_INPUT, problem)
        try:
            self.runtime.bind([a for _, a in tensors])
        except Exception as e:  # the runtime's own error types
            return self.reply_error(m.request_id, E.BAD_INPUT,
                                    f"DATA: {self.runtime.name} refused the inputs: {e}")
        self.inputs_valid = True
        return self.reply(p.MessageType.OK, m.request_id)

    def runtime_info(self, rt: Runtime) -> dict:
        """The runtime's own description, and how this target times it."""
        return dict(rt.info(), warm_run=self.options.warm_run)

    def on_process(self, m: p.Message) -> bool:
        self.outputs_valid = False
        if self.state != Session.COMPILED or not self.inputs_valid:
            return self.reply_error(m.request_id, p.ErrorCode.BAD_STATE,
                                    "PROCESS without valid inputs (send a DATA that is accepted "
                                    "first)")
        try:
            if self.options.warm_run:
                self.runtime.run()
            ns = self.runtime.run()
        except Exception as e:  # the runtime's own error types
            return self.reply_error(m.request_id, p.ErrorCode.INTERNAL,
                                    f"{self.runtime.name} failed to run the model: {e}")
        ms = ns / 1e6
        self.outputs_valid = True
        self.queries += 1
        self.ms_total += ms
        self.ms_min = ms if self.queries == 1 else min(self.ms_min, ms)
        self.ms_max = max(self.ms_max, ms)
        return self.reply(p.MessageType.OK, m.request_id,
                          ('{"target_ms":%.9g}' % ms).encode())

    def on_output(self, m: p.Message) -> bool:
        if not self.outputs_valid:
            return self.reply_error(m.request_id, p.ErrorCode.BAD_STATE,
                                    "OUTPUT without a successful PROCESS before it")
        try:
            arrays = self.runtime.outputs()
            payload = p.encode_tensor_list([(spec["name"], a)
                                            for spec, a in zip(self.outputs, arrays)])
        except Exception as e:  # a dtype the wire does not carry, or the runtime failing
            return self.reply_error(m.request_id, p.ErrorCode.INTERNAL, f"OUTPUT: {e}")
        return self._send(p.encode_message(p.MessageType.OUTPUT, m.request_id, payload,
                                           self.conn.send_chunk))

    def on_stats(self, m: p.Message) -> bool:
        return self.reply_json(p.MessageType.STATS, m.request_id, {
            "queries": self.queries,
            "target_ms_total": self.ms_total,
            "target_ms_min": self.ms_min,
            "target_ms_max": self.ms_max,
            "target_ms_mean": self.ms_total / self.queries if self.queries else 0.0,
            "model_bytes": len(self.model_bytes),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "backend": self.runtime.name,
            "runtime": self.runtime_info(self.runtime),
        })


class Server:
    """Accepts clients on the main thread and runs one session at a time on a worker thread; a
    second client is answered ERROR BUSY and closed."""

    def __init__(self, options: ServerOptions, runtime: Runtime):
        self.options = options
        self.runtime = runtime
        infos = socket.getaddrinfo(options.host, options.port, socket.AF_UNSPEC,
                                   socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
        last = None
        self.listener = None
        for family, kind, proto, _, addr in infos:
            try:
                s = socket.socket(family, kind, proto)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(addr)
                s.listen(16)
                self.listener = s
                break
            except OSError as e:
                last = e
        if self.listener is None:
            raise OSError(f"cannot listen on {options.host}:{options.port}: {last}")
        self.port = self.listener.getsockname()[1]
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        self.lock = threading.Lock()
        self.session_conn: Optional[p.Connection] = None
        self.session_thread: Optional[threading.Thread] = None
        self.active = threading.Event()
        self.sessions = self.busy_refusals = self.failed_sessions = 0

    def stop(self) -> None:
        """Safe from a signal handler."""
        try:
            os.write(self.wake_w, b"x")
        except OSError:
            pass

    def refuse_busy(self, sock: socket.socket) -> None:
        self.busy_refusals += 1
        conn = p.Connection(sock, self.options.limits)
        try:
            conn.send(p.MessageType.ERROR, 0, p.encode_error(
                p.ErrorCode.BUSY,
                "the target is running another benchmark session; try again later"), 1.0)
        except (p.ConnectionClosed, p.ProtocolError):
            pass
        conn.close()

    def _session(self, sock: socket.socket) -> None:
        conn = p.Connection(sock, self.options.limits)
        conn.busy_poll_s = self.options.busy_poll_us / 1e6
        with self.lock:
            self.session_conn = conn
        session = Session(self.options, self.runtime, conn)
        clean = False
        try:
            clean = session.run()
        except Exception as e:  # a bug must end this session, not the target
            print(f"edgebench.target: session failed: {type(e).__name__}: {e}", file=sys.stderr)
            try:
                session.reply_error(0, p.ErrorCode.INTERNAL, f"{type(e).__name__}: {e}")
            except Exception:  # the socket may be gone
                pass
        finally:
            session.close()
            with self.lock:
                self.session_conn = None
            conn.close()
            if not clean:
                self.failed_sessions += 1
            self.active.clear()

    def serve(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.listener, self.wake_r], [], [])
            except InterruptedError:
                continue
            if self.wake_r in ready:
                break
            try:
                sock, _ = self.listener.accept()
            except OSError:
                continue  # the client went away already
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A session whose client has just closed gets 100 ms to wind down before BUSY.
            for _ in range(50):
                if not self.active.is_set():
                    break
                time.sleep(0.002)
            if self.active.is_set():
                self.refuse_busy(sock)
                continue
            if self.session_thread is not None:
                self.session_thread.join()
            self.active.set()
            self.sessions += 1
            self.session_thread = threading.Thread(target=self._session, args=(sock,),
                                                   daemon=True)
            self.session_thread.start()
        with self.lock:
            if self.session_conn is not None:
                self.session_conn.shutdown()
        if self.session_thread is not None:
            self.session_thread.join(timeout=30)
        self.listener.close()
