"""The edgebench wire protocol (docs/protocol.md), byte for byte as the C++ side speaks it.

Frames: a 20-byte little-endian header (magic, version, type, flags, request id, payload length,
zlib CRC-32 over header bytes 0..15 then the payload) and the payload. A message larger than a
frame is sent as chunks with the MORE flag on every chunk but the last.

Everything read from the wire is untrusted: each length and count is checked against the
Limits and against the bytes present before it is used. Failures raise ProtocolError
subclasses (BadFrame, TooLarge, VersionError); socket I/O raises ConnectionClosed or
ReceiveTimeout. Nothing else is raised for bad input.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import select
import socket
import struct
import time
import zlib
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np

FRAME_MAGIC = 0x50524245  # bytes 'E' 'B' 'R' 'P'
PROTOCOL_VERSION = 1
FRAME_HEADER_BYTES = 20
FLAG_MORE = 0x0001
KNOWN_FLAGS = FLAG_MORE
MAX_ERROR_MESSAGE_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
# The sender's chunk size (at most the peer's frame limit), as the C++ side uses.
SEND_CHUNK_BYTES = 1 << 20
# The C++ core's hard cap on one tensor (kMaxTensorBytes).
HARD_MAX_TENSOR_BYTES = 16 << 30

_HEADER = struct.Struct("<IBBHIII")
_HEADER16 = struct.Struct("<IBBHII")


class MessageType(enum.IntEnum):
    HELLO = 1
    AUTH = 2
    MODEL = 3
    IO_SPEC = 4
    DATA = 5
    PROCESS = 6
    OUTPUT = 7
    STATS = 8
    PING = 9
    OK = 10
    ERROR = 11


class ErrorCode(enum.IntEnum):
    BUSY = 1
    AUTH = 2
    BAD_FRAME = 3
    TOO_LARGE = 4
    BAD_MODEL = 5
    BAD_INPUT = 6
    INTERNAL = 7
    BAD_STATE = 8
    VERSION = 9
    TIMEOUT = 10


def message_type_name(value: int) -> str:
    try:
        return MessageType(value).name
    except ValueError:
        return f"UNKNOWN({value})"


class ProtocolError(Exception):
    """Malformed or over-limit bytes; `code` is the ERROR code a target answers with."""

    code = ErrorCode.INTERNAL


class BadFrame(ProtocolError):
    code = ErrorCode.BAD_FRAME


class TooLarge(ProtocolError):
    code = ErrorCode.TOO_LARGE


class VersionError(ProtocolError):
    code = ErrorCode.VERSION


class ConnectionClosed(Exception):
    """The peer closed the connection (or the socket failed)."""


class ReceiveTimeout(ProtocolError):
    """The peer was idle, or stalled mid-message, longer than the timeout."""

    code = ErrorCode.TIMEOUT


@dataclasses.dataclass
class Limits:
    max_frame_payload: int = 4 << 20
    max_model_bytes: int = 256 << 20
    max_tensor_bytes: int = 256 << 20
    max_tensor_list_bytes: int = 512 << 20
    max_control_bytes: int = 1 << 20
    max_rank: int = 16
    max_tensors: int = 1024
    max_name_bytes: int = 4096

    def max_message_bytes(self, mtype: int) -> int:
        if mtype == MessageType.MODEL:
            return self.max_model_bytes
        if mtype in (MessageType.DATA, MessageType.OUTPUT):
            return self.max_tensor_list_bytes
        return self.max_control_bytes

    def as_json(self) -> dict:
        return {
            "max_frame_payload": self.max_frame_payload,
            "max_model_bytes": self.max_model_bytes,
            "max_tensor_bytes": self.max_tensor_bytes,
            "max_tensor_list_bytes": self.max_tensor_list_bytes,
            "max_control_bytes": self.max_control_bytes,
            "max_rank": self.max_rank,
            "max_tensors": self.max_tensors,
        }


@dataclasses.dataclass
class FrameHeader:
    type: int
    flags: int
    request_id: int
    payload_bytes: int
    crc32: int

    @property
    def more(self) -> bool:
        return bool(self.flags & FLAG_MORE)


@dataclasses.dataclass
class Frame:
    header: FrameHeader
    payload: bytes


@dataclasses.dataclass
class Message:
    type: int
    request_id: int
    payload: bytes


# --- frames -----------------------------------------------------------------------------------


def frame_crc32(header_first16: bytes, payload: bytes | memoryview | Iterable = b"") -> int:
    crc = zlib.crc32(bytes(header_first16[:16]))
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return zlib.crc32(payload, crc)
    for piece in payload:
        crc = zlib.crc32(piece, crc)
    return crc


def encode_frame_header(mtype: int, flags: int, request_id: int, payload=b"") -> bytes:
    pieces = [payload] if isinstance(payload, (bytes, bytearray, memoryview)) else list(payload)
    length = sum(len(p) for p in pieces)
    first16 = _HEADER16.pack(FRAME_MAGIC, PROTOCOL_VERSION, int(mtype), flags, request_id, length)
    crc = zlib.crc32(first16)
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    return first16 + struct.pack("<I", crc)


def encode_frame(mtype: int, flags: int, request_id: int, payload: bytes = b"") -> bytes:
    return encode_frame_header(mtype, flags, request_id, payload) + bytes(payload)


def encode_message(mtype: int, request_id: int, payload: bytes = b"",
                   chunk_bytes: int = SEND_CHUNK_BYTES) -> bytes:
    """All frames of one message, chunked at `chunk_bytes` (an empty payload is one frame)."""
    payload = memoryview(bytes(payload))
    chunk_bytes = max(1, chunk_bytes)
    out = []
    sent = 0
    total = len(payload)
    while True:
        n = min(chunk_bytes, total - sent)
        piece = payload[sent:sent + n]
        sent += n
        more = sent < total
        out.append(encode_frame_header(mtype, FLAG_MORE if more else 0, request_id, piece))
        out.append(bytes(piece))
        if not more:
            return b"".join(out)


def parse_frame_header(data: bytes, limits: Limits) -> FrameHeader:
    """Checks magic, version, type, flags and the payload length against the limits, in the
    C++ decoder's order; the CRC is checked once the payload is present (verify_frame_crc)."""
    if len(data) < FRAME_HEADER_BYTES:
        raise BadFrame(f"frame header: {len(data)} bytes, need {FRAME_HEADER_BYTES}")
    magic, version, mtype, flags, request_id, length, crc = _HEADER.unpack_from(data, 0)
    if magic != FRAME_MAGIC:
        raise BadFrame(f"frame header: bad magic 0x{magic:08x} (expected 0x{FRAME_MAGIC:08x})")
    if version != PROTOCOL_VERSION:
        raise VersionError(
            f"frame header: protocol version {version} (this side speaks {PROTOCOL_VERSION})")
    if not MessageType.HELLO <= mtype <= MessageType.ERROR:
        raise BadFrame(f"frame header: unknown message type {mtype}")
    if flags & ~KNOWN_FLAGS:
        raise BadFrame(f"frame header: unknown flags 0x{flags:04x}")
    name = message_type_name(mtype)
    if length > limits.max_frame_payload:
        raise TooLarge(f"{name} frame payload of {length} bytes is over the frame limit of "
                       f"{limits.max_frame_payload}")
    if length > limits.max_message_bytes(mtype):
        raise TooLarge(f"{name} frame payload of {length} bytes is over the {name} limit of "
                       f"{limits.max_message_bytes(mtype)}")
    return FrameHeader(mtype, flags, request_id, length, crc)


def verify_frame_crc(header_bytes: bytes, payload) -> None:
    if len(header_bytes) < FRAME_HEADER_BYTES:
        raise BadFrame("frame header truncated")
    crc = frame_crc32(header_bytes[:16], payload)
    stated = struct.unpack_from("<I", header_bytes, 16)[0]
    if crc != stated:
        raise BadFrame(
            f"frame CRC32 mismatch: header says 0x{stated:08x}, data gives 0x{crc:08x}")


class FrameDecoder:
    """Incremental decoder over a byte stream. A header is validated as soon as its 20 bytes are
    present; after an error the stream is out of sync and the decoder stays failed."""

    def __init__(self, limits: Limits):
        self._limits = limits
        self._buffer = bytearray()
        self._failed: Optional[ProtocolError] = None

    def append(self, data: bytes) -> None:
        if self._failed is None:
            self._buffer += data

    def buffered_bytes(self) -> int:
        return len(self._buffer)

    def next(self) -> Optional[Frame]:
        if self._failed is not None:
            raise self._failed
        if len(self._buffer) < FRAME_HEADER_BYTES:
            return None
        try:
            header = parse_frame_header(bytes(self._buffer[:FRAME_HEADER_BYTES]), self._limits)
            total = FRAME_HEADER_BYTES + header.payload_bytes
            if len(self._buffer) < total:
                return None
            payload = bytes(self._buffer[FRAME_HEADER_BYTES:total])
            verify_frame_crc(bytes(self._buffer[:FRAME_HEADER_BYTES]), payload)
        except ProtocolError as e:
            self._failed = e
            raise
        del self._buffer[:total]
        return Frame(header, payload)


class MessageAssembler:
    """Joins the chunks of one message: same type and request id, running total checked."""

    def __init__(self, limits: Limits):
        self._limits = limits
        self._partial: Optional[Message] = None
        self._parts: List[bytes] = []
        self._size = 0

    @property
    def in_progress(self) -> bool:
        return self._partial is not None

    def check_next(self, header: FrameHeader) -> None:
        p = self._partial
        if p is not None and (header.type != p.type or header.request_id != p.request_id):
            raise BadFrame(
                f"chunk of {message_type_name(header.type)} request {header.request_id} arrived "
                f"inside {message_type_name(p.type)} request {p.request_id} "
                "(chunks must not interleave)")
        so_far = self._size if p is not None else 0
        limit = self._limits.max_message_bytes(header.type)
        if header.payload_bytes > limit or so_far > limit - header.payload_bytes:
            raise TooLarge(f"{message_type_name(header.type)} message would reach "
                           f"{so_far + header.payload_bytes} bytes, over the limit of {limit}")

    def add(self, frame: Frame) -> Optional[Message]:
        self.check_next(frame.header)
        if self._partial is None:
            self._partial = Message(frame.header.type, frame.header.request_id, b"")
            self._parts, self._size = [], 0
        self._parts.append(frame.payload)
        self._size += len(frame.payload)
        if frame.header.more:
            return None
        message = self._partial
        message.payload = b"".join(self._parts)
        self._partial, self._parts, self._size = None, [], 0
        return message


# --- payload codecs --------------------------------------------------------------------------

# ONNX TensorProto.DataType codes <-> little-endian NumPy dtypes.
WIRE_DTYPES = {
    1: np.dtype("<f4"),
    2: np.dtype("u1"),
    3: np.dtype("i1"),
    4: np.dtype("<u2"),
    5: np.dtype("<i2"),
    6: np.dtype("<i4"),
    7: np.dtype("<i8"),
    9: np.dtype("bool"),
    10: np.dtype("<f2"),
    11: np.dtype("<f8"),
    12: np.dtype("<u4"),
    13: np.dtype("<u8"),
}
_CODE_OF = {dt.str if dt.itemsize > 1 else dt.name: code for code, dt in WIRE_DTYPES.items()}
# The names the C++ side uses in IO_SPEC replies (NumPy's).
DTYPE_NAMES = ["float32", "float16", "float64", "int8", "uint8", "int16", "uint16", "int32",
               "uint32", "int64", "uint64", "bool"]


def wire_code_of(dtype) -> Optional[int]:
    dt = np.dtype(dtype)
    if dt.itemsize > 1:
        dt = dt.newbyteorder("<")
        return _CODE_OF.get(dt.str)
    return _CODE_OF.get(dt.name)


def encode_tensor_list(tensors: Sequence[Tuple[str, np.ndarray]]) -> bytes:
    """u32 count, then per tensor: u16 name length, name, u8 dtype, u8 rank, i64 dims,
    u64 data length, row-major little-endian data."""
    out = [struct.pack("<I", len(tensors))]
    for name, array in tensors:
        array = np.asarray(array)
        code = wire_code_of(array.dtype)
        if code is None:
            raise ValueError(f"tensor '{name}': dtype {array.dtype} cannot be sent")
        raw_name = name.encode("utf-8", errors="surrogateescape")
        if len(raw_name) > 0xFFFF or array.ndim > 255:
            raise ValueError(f"tensor '{name}': name or rank too long to send")
        data = np.ascontiguousarray(array, dtype=WIRE_DTYPES[code]).tobytes()
        out.append(struct.pack("<H", len(raw_name)))
        out.append(raw_name)
        out.append(struct.pack("<BB", code, array.ndim))
        out.append(struct.pack(f"<{array.ndim}q", *array.shape))
        out.append(struct.pack("<Q", len(data)))
        out.append(data)
    return b"".join(out)


def decode_tensor_list(payload: bytes, limits: Limits) -> List[Tuple[str, np.ndarray]]:
    """The tensors of a DATA/OUTPUT payload, each checked against the limits; BadFrame for
    malformed bytes, TooLarge for counts and sizes over the limits."""
    view = memoryview(payload)
    size = len(view)
    pos = 0

    def take(n: int) -> Optional[memoryview]:
        nonlocal pos
        if n > size - pos:
            return None
        piece = view[pos:pos + n]
        pos += n
        return piece

    head = take(4)
    if head is None:
        raise BadFrame("tensor list: missing tensor count")
    count = struct.unpack("<I", head)[0]
    if count > limits.max_tensors:
        raise TooLarge(f"tensor list: {count} tensors, the limit is {limits.max_tensors}")
    out = []
    for i in range(count):
        where = f"tensor list: tensor {i}"
        raw = take(2)
        if raw is None:
            raise BadFrame(f"{where}: truncated before its name")
        name_len = struct.unpack("<H", raw)[0]
        if name_len > limits.max_name_bytes:
            raise TooLarge(
                f"{where}: name of {name_len} bytes, the limit is {limits.max_name_bytes}")
        raw = take(name_len)
        if raw is None:
            raise BadFrame(f"{where}: truncated name")
        # Invalid UTF-8 is kept visible rather than refused (the C++ side keeps raw bytes).
        name = bytes(raw).decode("utf-8", errors="surrogateescape")
        raw = take(2)
        if raw is None:
            raise BadFrame(f"{where}: truncated before its dtype")
        code, rank = raw[0], raw[1]
        dtype = WIRE_DTYPES.get(code)
        if dtype is None:
            raise BadFrame(f"{where} '{name}': unknown dtype code {code}")
        if rank > limits.max_rank:
            raise TooLarge(f"{where} '{name}': rank {rank}, the limit is {limits.max_rank}")
        raw = take(8 * rank)
        if raw is None:
            raise BadFrame(f"{where} '{name}': truncated shape")
        dims = struct.unpack(f"<{rank}Q", raw)
        if any(d > 0x7FFFFFFFFFFFFFFF for d in dims):
            raise BadFrame(f"{where} '{name}': negative dimension")
        shape_text = "[" + ",".join(str(d) for d in dims) + "]"
        count_elems = 1
        extent = 1  # the product of the non-zero dims: NumPy refuses a shape whose extent
        for d in dims:  # overflows, even when another dim is 0 and the tensor is empty
            count_elems *= d
            extent *= max(d, 1)
        if max(count_elems, extent) > HARD_MAX_TENSOR_BYTES // dtype.itemsize:
            raise TooLarge(f"{where} '{name}': shape {shape_text}: tensor {dtype.name}"
                           f"{shape_text} needs more than the 16 GiB limit")
        expected = count_elems * dtype.itemsize
        if expected > limits.max_tensor_bytes:
            raise TooLarge(f"{where} '{name}': {expected} bytes, the limit is "
                           f"{limits.max_tensor_bytes}")
        raw = take(8)
        if raw is None:
            raise BadFrame(f"{where} '{name}': truncated")
        data_len = struct.unpack("<Q", raw)[0]
        if data_len != expected:
            raise BadFrame(f"{where} '{name}': {data_len} data bytes for {dtype.name}"
                           f"{shape_text} (expected {expected})")
        raw = take(data_len)
        if raw is None:
            raise BadFrame(f"{where} '{name}': {data_len} data bytes announced, "
                           f"{size - pos} present")
        array = np.frombuffer(raw, dtype=dtype).reshape(dims)
        if dtype == np.bool_ and array.size and np.frombuffer(raw, np.uint8).max() > 1:
            # NumPy would keep the byte; the C++ side copies it too. Normalise on read so that
            # the runtime sees a valid bool (re-encoding then differs: documented).
            array = array.astype(np.uint8).astype(np.bool_)
        out.append((name, array.astype(dtype.newbyteorder("=") if dtype.itemsize > 1 else dtype,
                                       copy=True)))
    if pos != size:
        raise BadFrame(f"tensor list: {size - pos} bytes after the last tensor")
    return out


def _reject_constant(text: str):
    raise ValueError(f"{text} is not JSON")


def encode_json(obj: dict) -> bytes:
    """Compact JSON with sorted keys and raw UTF-8, as nlohmann::json::dump() writes it."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def json_depth(text: str) -> int:
    """Nesting depth (brackets outside strings), without parsing."""
    depth = max_depth = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
        elif c in "]}":
            depth -= 1
    return max_depth


def decode_json(payload: bytes, limits: Limits) -> dict:
    if len(payload) > limits.max_control_bytes:
        raise TooLarge(
            f"JSON payload of {len(payload)} bytes, the limit is {limits.max_control_bytes}")
    try:
        text = bytes(payload).decode("utf-8")
    except UnicodeDecodeError:
        raise BadFrame("JSON payload does not parse (not UTF-8)") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BadFrame(f"JSON payload nests deeper than {MAX_JSON_DEPTH}")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise BadFrame("JSON payload does not parse") from None
    if not isinstance(obj, dict):
        raise BadFrame("JSON payload is not an object")
    return obj


def encode_error(code: int, message: str) -> bytes:
    raw = message.encode("utf-8", errors="replace")[:MAX_ERROR_MESSAGE_BYTES]
    return struct.pack("<HI", int(code), len(raw)) + raw


def decode_error(payload: bytes, limits: Limits) -> Tuple[int, str]:
    """(code, message); unknown codes read as INTERNAL with the code named in the message."""
    if len(payload) < 6:
        raise BadFrame("ERROR payload: truncated header")
    code, length = struct.unpack_from("<HI", payload, 0)
    if length > MAX_ERROR_MESSAGE_BYTES or length > limits.max_control_bytes:
        raise TooLarge(f"ERROR payload: message of {length} bytes")
    if len(payload) - 6 != length:
        raise BadFrame(f"ERROR payload: message length {length} does not match the "
                       f"{len(payload) - 6} bytes present")
    message = bytes(payload[6:]).decode("utf-8", errors="replace")
    if not ErrorCode.BUSY <= code <= ErrorCode.TIMEOUT:
        return ErrorCode.INTERNAL, f"(unknown error code {code}) {message}"
    return ErrorCode(code), message


# --- socket I/O ------------------------------------------------------------------------------


class Connection:
    """One end of a connection: frames outgoing messages into chunks, reassembles incoming
    ones. Timeouts in seconds; None waits forever."""

    def __init__(self, sock: socket.socket, limits: Limits):
        self.sock = sock
        self.limits = limits
        self.send_chunk = min(SEND_CHUNK_BYTES, limits.max_frame_payload)
        self._rx = bytearray()
        # Seconds to check for incoming bytes without sleeping before blocking (busy polling).
        self.busy_poll_s = 0.0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def shutdown(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def has_buffered_frame(self) -> bool:
        if len(self._rx) < FRAME_HEADER_BYTES:
            return False
        length = struct.unpack_from("<I", self._rx, 12)[0]
        return len(self._rx) - FRAME_HEADER_BYTES >= length

    def _wait(self, timeout: Optional[float], what: str, write: bool = False) -> None:
        if not write and self.busy_poll_s > 0 and self._poll_without_sleeping():
            return
        while True:
            try:
                if write:
                    _, ready, _ = select.select([], [self.sock], [], timeout)
                else:
                    ready, _, _ = select.select([self.sock], [], [], timeout)
            except InterruptedError:
                continue
            except (OSError, ValueError) as e:
                raise ConnectionClosed(f"poll: {e}") from None
            if ready:
                return
            raise ReceiveTimeout(f"timed out {what} after {int((timeout or 0) * 1000)} ms")

    def _poll_without_sleeping(self) -> bool:
        """Whether bytes arrived within busy_poll_s, checked without giving up the core: a core
        that sleeps between queries wakes up slower and colder for the next inference."""
        deadline = time.perf_counter() + self.busy_poll_s
        while True:
            try:
                ready, _, _ = select.select([self.sock], [], [], 0)
            except (OSError, ValueError, InterruptedError):
                return False
            if ready:
                return True
            if time.perf_counter() >= deadline:
                return False

    def _fill(self, need: int, timeout: Optional[float]) -> None:
        """Reads until at least `need` bytes are buffered."""
        while len(self._rx) < need:
            self._wait(timeout, "waiting for data")
            try:
                chunk = self.sock.recv(max(65536, need - len(self._rx)))
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                raise ConnectionClosed(f"recv: {e}") from None
            if not chunk:
                raise ConnectionClosed(
                    f"connection closed by the peer ({len(self._rx)} of {need} bytes read)")
            self._rx += chunk

    def _take(self, n: int, timeout: Optional[float]) -> bytes:
        self._fill(n, timeout)
        out = bytes(self._rx[:n])
        del self._rx[:n]
        return out

    def receive(self, idle_timeout: Optional[float], read_timeout: Optional[float]) -> Message:
        if not self._rx:
            self._wait(idle_timeout, "waiting for a message")
        parts: List[bytes] = []
        size = 0
        message: Optional[Message] = None
        while True:
            header_bytes = self._take(FRAME_HEADER_BYTES, read_timeout)
            header = parse_frame_header(header_bytes, self.limits)
            if message is not None and (header.type != message.type
                                        or header.request_id != message.request_id):
                raise BadFrame(
                    f"chunk of {message_type_name(header.type)} request {header.request_id} "
                    f"arrived inside {message_type_name(message.type)} request "
                    f"{message.request_id} (chunks must not interleave)")
            limit = self.limits.max_message_bytes(header.type)
            if size > limit - header.payload_bytes:
                raise TooLarge(
                    f"{message_type_name(header.type)} message over the limit of {limit} bytes")
            if message is None:
                message = Message(header.type, header.request_id, b"")
            chunk = self._take(header.payload_bytes, read_timeout)
            verify_frame_crc(header_bytes, chunk)
            parts.append(chunk)
            size += len(chunk)
            if not header.more:
                message.payload = parts[0] if len(parts) == 1 else b"".join(parts)
                return message

    def send_bytes(self, data: bytes, timeout: Optional[float]) -> None:
        view = memoryview(data)
        deadline_step = timeout
        while view:
            try:
                n = self.sock.send(view, socket.MSG_NOSIGNAL | socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                self._wait(deadline_step, "sending", write=True)
                continue
            except OSError as e:
                raise ConnectionClosed(f"send: {e}") from None
            view = view[n:]

    def send(self, mtype: int, request_id: int, payload: bytes = b"",
             timeout: Optional[float] = 10.0) -> None:
        if len(payload) > self.limits.max_message_bytes(mtype):
            raise TooLarge(f"{message_type_name(mtype)} message of {len(payload)} bytes is over "
                           f"the limit of {self.limits.max_message_bytes(mtype)}")
        self.send_bytes(encode_message(mtype, request_id, payload, self.send_chunk), timeout)


def parse_host_port(text: str, allow_port_zero: bool) -> Tuple[str, int]:
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or close + 1 >= len(text) or text[close + 1] != ":":
            raise ValueError(f"'{text}': expected [IPv6]:PORT")
        host, port = text[1:close], text[close + 2:]
    else:
        colon = text.rfind(":")
        if colon < 0:
            raise ValueError(f"'{text}': expected HOST:PORT")
        host, port = text[:colon], text[colon + 1:]
    lowest = 0 if allow_port_zero else 1
    if not host or not port.isdigit() or not lowest <= int(port) <= 65535:
        raise ValueError(f"'{text}': expected HOST:PORT with a port in {lowest}..65535")
    return host, int(port)


