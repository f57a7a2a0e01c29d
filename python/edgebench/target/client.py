"""A small client of the edgebench protocol: what the C++ host does, in Python (tests, scripts).

    with Client("127.0.0.1", port) as c:
        c.hello(); c.model(open("m.onnx", "rb").read()); spec = c.io_spec(threads=1)
        outputs, target_ms = c.infer([("input", x)])
"""

from __future__ import annotations

import socket
from typing import List, Optional, Sequence, Tuple

import numpy as np

from . import protocol as p


class RemoteError(Exception):
    """An ERROR reply: `code` (protocol.ErrorCode) and the target's message."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{p.ErrorCode(code).name}: {message}")
        self.code = code
        self.message = message


class Client:
    def __init__(self, host: str, port: int, timeout: float = 60.0,
                 limits: Optional[p.Limits] = None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        self.conn = p.Connection(self.sock, limits or p.Limits())
        self.timeout = timeout
        self.next_id = 1

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _id(self) -> int:
        rid = self.next_id
        self.next_id += 1
        return rid

    def receive(self) -> p.Message:
        return self.conn.receive(self.timeout, self.timeout)

    def expect(self, rid: int, mtype: int) -> p.Message:
        m = self.receive()
        if m.type == p.MessageType.ERROR:
            code, message = p.decode_error(m.payload, p.Limits())
            raise RemoteError(code, message)
        if m.type != mtype or m.request_id != rid:
            raise p.BadFrame(f"expected {p.message_type_name(mtype)} for request {rid}, got "
                             f"{p.message_type_name(m.type)} for request {m.request_id}")
        return m

    def request(self, mtype: int, payload: bytes, reply: int) -> p.Message:
        rid = self._id()
        self.conn.send(mtype, rid, payload, self.timeout)
        return self.expect(rid, reply)

    def hello(self, version: int = p.PROTOCOL_VERSION) -> dict:
        m = self.request(p.MessageType.HELLO, p.encode_json({"protocol_version": version}),
                         p.MessageType.HELLO)
        return p.decode_json(m.payload, p.Limits())

    def auth(self, token: bytes) -> None:
        self.request(p.MessageType.AUTH, token, p.MessageType.OK)

    def model(self, data: bytes) -> dict:
        m = self.request(p.MessageType.MODEL, data, p.MessageType.OK)
        return p.decode_json(m.payload, p.Limits())

    def io_spec(self, **options) -> dict:
        m = self.request(p.MessageType.IO_SPEC, p.encode_json(options), p.MessageType.IO_SPEC)
        return p.decode_json(m.payload, p.Limits())

    def stats(self) -> dict:
        m = self.request(p.MessageType.STATS, b"", p.MessageType.STATS)
        return p.decode_json(m.payload, p.Limits())

    def infer(self, inputs: Sequence[Tuple[str, np.ndarray]]
              ) -> Tuple[List[Tuple[str, np.ndarray]], float]:
        """DATA, PROCESS and OUTPUT pipelined in one write, as the C++ host sends them."""
        ids = [self._id() for _ in range(3)]
        chunk = self.conn.send_chunk
        frames = (p.encode_message(p.MessageType.DATA, ids[0], p.encode_tensor_list(inputs), chunk)
                  + p.encode_message(p.MessageType.PROCESS, ids[1], b"", chunk)
                  + p.encode_message(p.MessageType.OUTPUT, ids[2], b"", chunk))
        self.conn.send_bytes(frames, self.timeout)
        self.expect(ids[0], p.MessageType.OK)
        done = self.expect(ids[1], p.MessageType.OK)
        out = self.expect(ids[2], p.MessageType.OUTPUT)
        target_ms = p.decode_json(done.payload, p.Limits())["target_ms"]
        return p.decode_tensor_list(out.payload, self.conn.limits), target_ms
