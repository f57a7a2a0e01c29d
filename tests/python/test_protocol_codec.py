"""The Python codec: round trips, the documented limit checks, and a bounded, deterministic
hypothesis fuzz of the frame decoder and the tensor-list decoder (only ProtocolError subclasses
may come out)."""

import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from edgebench.target import protocol as p

DOCUMENTED = (p.BadFrame, p.TooLarge, p.VersionError)
FUZZ = settings(max_examples=2000, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def frames_of(data: bytes, limits=None):
    d = p.FrameDecoder(limits or p.Limits())
    d.append(data)
    out = []
    while (f := d.next()) is not None:
        out.append(f)
    return out


def test_chunked_message_round_trips_and_every_chunk_but_the_last_has_more():
    payload = bytes(range(256)) * 40
    data = p.encode_message(p.MessageType.MODEL, 77, payload, chunk_bytes=1000)
    frames = frames_of(data)
    assert len(frames) == 11
    assert [f.header.more for f in frames] == [True] * 10 + [False]
    a = p.MessageAssembler(p.Limits())
    messages = [m for m in (a.add(f) for f in frames) if m is not None]
    assert len(messages) == 1 and messages[0].payload == payload
    assert messages[0].request_id == 77 and messages[0].type == p.MessageType.MODEL


def test_every_dtype_round_trips_including_scalars_and_empty_tensors():
    rng = np.random.default_rng(5)
    tensors = []
    for code, dtype in p.WIRE_DTYPES.items():
        for shape in [(), (0,), (2, 0, 3), (3, 4)]:
            raw = rng.integers(0, 256, size=int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
            a = np.frombuffer(raw.tobytes(), dtype=dtype).reshape(shape)
            if dtype == np.bool_:
                a = a.astype(np.uint8) % 2 == 1
            tensors.append((f"t{code}_{len(shape)}", a))
    payload = p.encode_tensor_list(tensors)
    back = p.decode_tensor_list(payload, p.Limits())
    assert [n for n, _ in back] == [n for n, _ in tensors]
    for (_, a), (_, b) in zip(tensors, back):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    assert p.encode_tensor_list(back) == payload


def test_header_checks_come_in_the_documented_order():
    good = p.encode_frame(p.MessageType.PING, 0, 1, b"")
    with pytest.raises(p.BadFrame, match="magic"):
        p.parse_frame_header(b"X" + good[1:], p.Limits())
    with pytest.raises(p.VersionError):  # version before type
        p.parse_frame_header(good[:4] + b"\x02\x63" + good[6:], p.Limits())
    for t in (0, 12, 255):
        with pytest.raises(p.BadFrame, match="unknown message type"):
            p.parse_frame_header(good[:5] + bytes([t]) + good[6:], p.Limits())
    with pytest.raises(p.BadFrame, match="flags"):
        p.parse_frame_header(good[:6] + b"\x02\x00" + good[8:], p.Limits())
    with pytest.raises(p.TooLarge, match="4294967295"):
        p.parse_frame_header(good[:12] + b"\xff\xff\xff\xff" + good[16:], p.Limits())
    with pytest.raises(p.TooLarge):  # under the frame limit, over a PING's control limit
        p.parse_frame_header(good[:12] + struct.pack("<I", 101) + good[16:],
                             p.Limits(max_control_bytes=100))
    with pytest.raises(p.BadFrame):
        p.parse_frame_header(good[:19], p.Limits())


def test_decoder_stays_failed_after_garbage_and_waits_on_a_truncated_frame():
    d = p.FrameDecoder(p.Limits())
    d.append(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(p.BadFrame):
        d.next()
    d.append(p.encode_frame(p.MessageType.PING, 0, 1, b""))
    with pytest.raises(p.BadFrame):
        d.next()
    d = p.FrameDecoder(p.Limits())
    d.append(p.encode_frame(p.MessageType.PING, 0, 1, b"0123456789")[:-3])
    assert d.next() is None


def test_tensor_list_limits_and_malformed_lists():
    limits = p.Limits(max_tensors=2, max_rank=3, max_tensor_bytes=64, max_name_bytes=8)
    one = p.encode_tensor_list([("x", np.zeros((2, 2), np.float32))])
    assert p.decode_tensor_list(one, limits)[0][1].shape == (2, 2)
    with pytest.raises(p.TooLarge, match="tensors"):
        p.decode_tensor_list(struct.pack("<I", 3), limits)
    with pytest.raises(p.TooLarge, match="name"):
        p.decode_tensor_list(p.encode_tensor_list([("long name", np.zeros(1, np.int8))]), limits)
    with pytest.raises(p.TooLarge, match="rank"):
        p.decode_tensor_list(p.encode_tensor_list([("x", np.zeros((1,) * 4, np.int8))]), limits)
    with pytest.raises(p.TooLarge, match="bytes, the limit"):
        p.decode_tensor_list(p.encode_tensor_list([("x", np.zeros(17, np.float32))]), limits)
    huge = struct.pack("<IH", 1, 1) + b"x" + bytes([1, 2]) + struct.pack("<qq", 1 << 40, 1 << 40)
    with pytest.raises(p.TooLarge, match="16 GiB"):
        p.decode_tensor_list(huge, p.Limits())
    with pytest.raises(p.BadFrame, match="after the last tensor"):
        p.decode_tensor_list(one + b"\x00", limits)
    with pytest.raises(p.BadFrame, match="present"):
        p.decode_tensor_list(one[:-1], limits)
    with pytest.raises(p.BadFrame, match="unknown dtype code 8"):
        p.decode_tensor_list(one[:7] + b"\x08" + one[8:], limits)


def test_json_and_error_payloads():
    assert p.decode_json(p.encode_json({"a": [1, 2.5, "é"]}), p.Limits()) == {"a": [1, 2.5, "é"]}
    for bad in (b"[1]", b"{", b"\xff{}", b'{"a": NaN}'):
        with pytest.raises(p.BadFrame):
            p.decode_json(bad, p.Limits())
    with pytest.raises(p.BadFrame, match="deeper"):
        p.decode_json(b'{"a":' + b"[" * 32 + b"]" * 32 + b"}", p.Limits())
    assert p.decode_json(b'{"a":' + b"[" * 31 + b"]" * 31 + b"}", p.Limits())
    with pytest.raises(p.TooLarge):
        p.decode_json(b"{}" + b" " * 100, p.Limits(max_control_bytes=100))
    code, text = p.decode_error(p.encode_error(p.ErrorCode.BUSY, "x" * 70000), p.Limits())
    assert code == p.ErrorCode.BUSY and len(text) == 64 * 1024
    assert p.decode_error(struct.pack("<HI", 99, 2) + b"hi", p.Limits()) == (
        p.ErrorCode.INTERNAL, "(unknown error code 99) hi")
    with pytest.raises(p.BadFrame):
        p.decode_error(struct.pack("<HI", 1, 5) + b"hi", p.Limits())


def valid_frame_stream():
    return st.lists(st.tuples(st.integers(1, 11), st.booleans(), st.integers(0, 2**32 - 1),
                              st.binary(max_size=64)), max_size=4).map(
        lambda fs: b"".join(p.encode_frame(t, p.FLAG_MORE if m else 0, i, b) for t, m, i, b in fs))


@FUZZ
@given(st.one_of(st.binary(max_size=200), valid_frame_stream(),
                 st.tuples(valid_frame_stream(), st.integers(0, 300), st.integers(0, 255)).map(
                     lambda x: _flip(*x))))
def test_fuzz_frame_decoder_raises_only_documented_errors(data):
    limits = p.Limits(max_frame_payload=4096, max_control_bytes=100)
    decoder = p.FrameDecoder(limits)
    assembler = p.MessageAssembler(limits)
    try:
        for i in range(0, len(data), 7):  # fed in pieces, as a socket delivers
            decoder.append(data[i:i + 7])
            while (frame := decoder.next()) is not None:
                assembler.add(frame)
    except DOCUMENTED:
        pass


def _flip(data: bytes, at: int, value: int) -> bytes:
    if not data:
        return data
    b = bytearray(data)
    b[at % len(b)] ^= value
    return bytes(b)


@st.composite
def tensor_lists(draw):
    tensors = []
    for i in range(draw(st.integers(0, 3))):
        dtype = p.WIRE_DTYPES[draw(st.sampled_from(sorted(p.WIRE_DTYPES)))]
        shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
        a = np.zeros(shape, dtype)
        tensors.append((f"t{i}", a))
    return p.encode_tensor_list(tensors)


def test_an_empty_tensor_with_a_huge_dimension_is_refused():
    # [2^61, 0] holds no element, but NumPy cannot make an array of that shape: TooLarge, not a
    # ValueError from NumPy (found by the fuzz test below).
    payload = (b"\x00\x01\x00\x00\x02\x00\x00\x00\x01\x02" + (1 << 61).to_bytes(8, "little")
               + bytes(8) + bytes(8))
    with pytest.raises(p.TooLarge, match="16 GiB"):
        p.decode_tensor_list(payload, p.Limits(max_tensor_bytes=1 << 16))


@FUZZ
@given(st.one_of(st.binary(max_size=120),
                 st.tuples(tensor_lists(), st.integers(0, 200), st.integers(1, 255)).map(
                     lambda x: _flip(*x)),
                 tensor_lists().map(lambda b: b[:len(b) // 2])))
def test_fuzz_tensor_list_decoder_raises_only_documented_errors(payload):
    try:
        tensors = p.decode_tensor_list(payload, p.Limits(max_tensor_bytes=1 << 16))
    except DOCUMENTED:
        return
    # Whatever decodes re-encodes to the same bytes (bools aside: any non-zero byte is true).
    if not any(a.dtype == np.bool_ for _, a in tensors):
        assert p.encode_tensor_list(tensors) == payload
