"""The shared protocol vectors (written by the C++ encoder, tests/remote/vectors): the Python
codec decodes each to the manifest's content and re-encodes it byte for byte."""

import json

import numpy as np
import pytest

from conftest import REPO
from edgebench.target import protocol as p

VECTORS = REPO / "tests" / "remote" / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_covers_every_message_type_and_payload_kind():
    assert MANIFEST["protocol_version"] == p.PROTOCOL_VERSION
    types = {v["type"] for v in MANIFEST["vectors"]}
    assert types == {t.name for t in p.MessageType}
    kinds = {v["content"]["kind"] for v in MANIFEST["vectors"]}
    assert kinds == {"json", "raw", "tensors", "error"}
    assert any(len(v["frame_flags"]) > 1 for v in MANIFEST["vectors"]), "no chunked vector"


@pytest.mark.parametrize("vector", MANIFEST["vectors"], ids=lambda v: v["file"])
def test_vector_decodes_and_reencodes_byte_for_byte(vector):
    data = (VECTORS / vector["file"]).read_bytes()
    decoder = p.FrameDecoder(p.Limits())
    assembler = p.MessageAssembler(p.Limits())
    decoder.append(data)
    flags, message = [], None
    while True:
        frame = decoder.next()
        if frame is None:
            break
        flags.append(frame.header.flags)
        assert message is None, "frames after the end of the message"
        message = assembler.add(frame)
    assert decoder.buffered_bytes() == 0
    assert message is not None
    assert flags == vector["frame_flags"]
    assert message.type == vector["type_code"] == p.MessageType[vector["type"]]
    assert message.request_id == vector["request_id"]
    assert len(message.payload) == vector["payload_bytes"]

    content = vector["content"]
    if content["kind"] == "json":
        value = p.decode_json(message.payload, p.Limits())
        assert value == content["value"]
        payload = p.encode_json(value)
    elif content["kind"] == "raw":
        assert message.payload.hex() == content["hex"]
        payload = message.payload
    elif content["kind"] == "error":
        code, text = p.decode_error(message.payload, p.Limits())
        assert code == content["code"] and p.ErrorCode(code).name == content["code_name"]
        assert text == content["message"]
        payload = p.encode_error(code, text)
    else:
        tensors = p.decode_tensor_list(message.payload, p.Limits())
        assert len(tensors) == len(content["tensors"])
        for (name, array), want in zip(tensors, content["tensors"]):
            assert name == want["name"]
            assert array.dtype.name == want["dtype"]
            assert p.wire_code_of(array.dtype) == want["wire_code"]
            assert list(array.shape) == want["shape"]
            assert array.astype(array.dtype.newbyteorder("<")).tobytes().hex() == want["data_hex"]
        payload = p.encode_tensor_list(tensors)
    assert payload == message.payload
    assert p.encode_message(message.type, message.request_id, payload,
                            vector["chunk_bytes"]) == data


def test_a_flipped_bit_in_any_vector_is_refused():
    for vector in MANIFEST["vectors"]:
        data = bytearray((VECTORS / vector["file"]).read_bytes())
        for at in (0, 4, 8, len(data) - 1):
            bad = bytearray(data)
            bad[at] ^= 0x01
            decoder = p.FrameDecoder(p.Limits())
            decoder.append(bytes(bad))
            with pytest.raises(p.ProtocolError):
                while decoder.next() is not None:
                    pass
            # (a flip in the last byte of a payload-less frame hits the CRC field itself)
