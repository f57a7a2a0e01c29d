#!/usr/bin/env python3
"""Writes seed inputs for remote_frame_fuzz into the folder given: well-formed protocol
streams (docs/protocol.md) of every message type, prefixed by the fuzzer's mode byte."""
import json
import struct
import sys
import zlib
from pathlib import Path

MAGIC = 0x50524245
TYPES = {"HELLO": 1, "AUTH": 2, "MODEL": 3, "IO_SPEC": 4, "DATA": 5, "PROCESS": 6,
         "OUTPUT": 7, "STATS": 8, "PING": 9, "OK": 10, "ERROR": 11}
MORE = 1


def frame(kind, payload, request_id=1, flags=0):
    head = struct.pack("<IBBHII", MAGIC, 1, TYPES[kind], flags, request_id, len(payload))
    return head + struct.pack("<I", zlib.crc32(head + payload)) + payload


def tensor_list(tensors):
    out = struct.pack("<I", len(tensors))
    for name, code, dims, data in tensors:
        out += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BB", code, len(dims))
        out += b"".join(struct.pack("<q", d) for d in dims)
        out += struct.pack("<Q", len(data)) + data
    return out


def main():
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    hello = json.dumps({"protocol_version": 1, "client": "seed"}).encode()
    data = tensor_list([("x", 1, [1, 3], bytes(12)), ("mask", 9, [2], b"\x01\x00"),
                        ("scalar", 7, [], bytes(8))])
    error = struct.pack("<HI", 1, 4) + b"busy"
    seeds = {
        "hello": frame("HELLO", hello),
        "session": frame("HELLO", hello) + frame("AUTH", b"token", 2) +
        frame("MODEL", b"\x08\x07" * 8, 3, MORE) + frame("MODEL", b"\x12\x00", 3) +
        frame("IO_SPEC", json.dumps({"threads": 1}).encode(), 4) + frame("DATA", data, 5) +
        frame("PROCESS", b"", 6) + frame("OUTPUT", b"", 7) + frame("STATS", b"{}", 8),
        "chunked_data": frame("DATA", data[:10], 9, MORE) + frame("DATA", data[10:], 9),
        "error": frame("ERROR", error) + frame("OK", b"{\"target_ms\":0.5}", 2),
        "ping": frame("PING", b"abc"),
    }
    for name, stream in seeds.items():
        for mode in (0, 1, 6):
            (folder / f"{name}_{mode}.bin").write_bytes(bytes([mode]) + stream)


if __name__ == "__main__":
    main()
