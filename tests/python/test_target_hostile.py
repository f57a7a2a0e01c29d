"""The hostile-client list of tests/remote/target_test.cc, against the Python target (onnxruntime
runtime): every hostile client is followed by a good client that must be served."""

import socket
import time

import numpy as np
import pytest

from conftest import MODELS
from edgebench.target import protocol as p
from edgebench.target.client import Client, RemoteError

E = p.ErrorCode
T = p.MessageType
MODEL = (MODELS / "fashion_mnist_cnn.onnx").read_bytes()


def raw_client(target) -> p.Connection:
    sock = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    sock.settimeout(None)
    return p.Connection(sock, p.Limits())


def expect_error(c: p.Connection):
    m = c.receive(10, 10)
    assert m.type == T.ERROR, p.message_type_name(m.type)
    return p.decode_error(m.payload, p.Limits())


def expect_closed(c: p.Connection):
    with pytest.raises(p.ConnectionClosed):
        c.receive(10, 10)


def hello(c: p.Connection) -> dict:
    c.send(T.HELLO, 1, p.encode_json({"protocol_version": 1}))
    m = c.receive(5, 5)
    assert m.type == T.HELLO
    return p.decode_json(m.payload, p.Limits())


def good_client(target, token=None):
    with Client("127.0.0.1", target.port) as c:
        c.hello()
        if token:
            c.auth(token)
        c.model(MODEL)
        spec = c.io_spec(threads=1)
        x = np.random.default_rng(3).random((1, 1, 28, 28), dtype=np.float32)
        outputs, target_ms = c.infer([(spec["inputs"][0]["name"], x)])
        assert outputs[0][1].shape == (1, 10) and np.isfinite(outputs[0][1]).all()
        assert target_ms > 0


def test_hostile_clients_leave_the_target_serving(start_target):
    target = start_target("--runtime", "onnxruntime", "--read-timeout", "0.5")
    good_client(target)

    c = raw_client(target)  # garbage bytes
    c.send_bytes(b"GET / HTTP/1.1\r\nHost: target\r\n\r\n", 5)
    assert expect_error(c)[0] == E.BAD_FRAME
    expect_closed(c)
    good_client(target)

    c = raw_client(target)  # a frame claiming 4 GiB
    hello(c)
    h = bytearray(p.encode_frame_header(T.MODEL, 0, 2, b""))
    h[12:16] = b"\xff\xff\xff\xff"
    c.send_bytes(bytes(h), 5)
    code, message = expect_error(c)
    assert code == E.TOO_LARGE and "4294967295" in message
    expect_closed(c)
    good_client(target)

    c = raw_client(target)  # a truncated frame, then silence; meanwhile a second client: BUSY
    hello(c)
    payload = b"0123456789"
    c.send_bytes(p.encode_frame_header(T.PING, 0, 2, payload) + payload[:3], 5)
    second = raw_client(target)
    t0 = time.monotonic()
    assert expect_error(second)[0] == E.BUSY
    assert time.monotonic() - t0 < 2
    expect_closed(second)
    assert expect_error(c)[0] == E.TIMEOUT
    expect_closed(c)
    good_client(target)

    c = raw_client(target)  # wrong CRC
    hello(c)
    h = bytearray(p.encode_frame_header(T.PING, 0, 2, b"ping"))
    h[16] ^= 0x55
    c.send_bytes(bytes(h) + b"ping", 5)
    assert expect_error(c)[0] == E.BAD_FRAME
    expect_closed(c)
    good_client(target)

    c = raw_client(target)  # a wrong protocol version in a frame header
    h = bytearray(p.encode_frame(T.HELLO, 0, 1, p.encode_json({"protocol_version": 1})))
    h[4] = 2
    c.send_bytes(bytes(h), 5)
    assert expect_error(c)[0] == E.VERSION
    expect_closed(c)

    c = raw_client(target)  # bad chunk sequence: a PING chunk inside a MODEL
    hello(c)
    c.send_bytes(p.encode_frame(T.MODEL, p.FLAG_MORE, 2, b"abc")
                 + p.encode_frame(T.PING, 0, 3, b"x"), 5)
    code, message = expect_error(c)
    assert code == E.BAD_FRAME and "interleave" in message
    expect_closed(c)
    good_client(target)

    c = raw_client(target)  # unknown flags
    hello(c)
    c.send_bytes(p.encode_frame(T.PING, 0x0004, 2, b""), 5)
    assert expect_error(c)[0] == E.BAD_FRAME
    expect_closed(c)

    c = raw_client(target)  # a MODEL that is not ONNX, then IO_SPEC without a model
    hello(c)
    c.send(T.MODEL, 2, b"this is not an onnx model")
    code, message = expect_error(c)
    assert code == E.BAD_MODEL and "not an ONNX model" in message
    c.send(T.IO_SPEC, 3, p.encode_json({}))
    assert expect_error(c)[0] == E.BAD_STATE
    c.close()
    good_client(target)

    c = raw_client(target)  # garbage JSON in HELLO
    c.send(T.HELLO, 1, b'{"protocol_version": 1,')
    assert expect_error(c)[0] == E.BAD_FRAME
    expect_closed(c)
    c = raw_client(target)  # JSON nested too deep in IO_SPEC
    hello(c)
    c.send(T.MODEL, 2, MODEL)
    assert c.receive(10, 10).type == T.OK
    c.send(T.IO_SPEC, 3, b"[" * 40 + b"]" * 40)
    code, message = expect_error(c)
    assert code == E.BAD_INPUT and "deeper" in message
    c.close()
    good_client(target)

    with Client("127.0.0.1", target.port) as c:  # DATA that does not fit
        c.hello()
        c.model(MODEL)
        spec = c.io_spec(threads=1)
        name = spec["inputs"][0]["name"]
        with pytest.raises(RemoteError) as e:
            c.infer([(name, np.zeros((1, 28, 28, 1), np.float32))])
        assert e.value.code == E.BAD_INPUT and "input 0 is 'input' float32[1,1,28,28]" in str(e.value)
        # The pipelined PROCESS and OUTPUT after the refused DATA: BAD_STATE, in order, not a
        # run on stale inputs.
        for _ in range(2):
            m = c.receive()
            assert m.type == T.ERROR and p.decode_error(m.payload, p.Limits())[0] == E.BAD_STATE
        with pytest.raises(RemoteError) as e:  # a tensor list that does not decode
            c.request(T.DATA, b"\x01\x00\x00\x00\xff", T.OK)
        assert e.value.code == E.BAD_INPUT
        outputs, _ = c.infer([(name, np.zeros((1, 1, 28, 28), np.float32))])  # survives
        assert outputs[0][1].shape == (1, 10)
    good_client(target)

    c = raw_client(target)  # a client that disconnects half way through a MODEL
    hello(c)
    model = b"\x07" * 100000
    c.send_bytes(p.encode_frame_header(T.MODEL, 0, 2, model) + model[:5000], 5)
    c.close()
    good_client(target)

    c = raw_client(target)  # a message before HELLO
    c.send(T.DATA, 1, b"")
    assert expect_error(c)[0] == E.BAD_STATE
    expect_closed(c)
    c = raw_client(target)  # a HELLO with a protocol version the target does not speak
    c.send(T.HELLO, 1, p.encode_json({"protocol_version": 2}))
    assert expect_error(c)[0] == E.VERSION
    c.close()
    good_client(target)

    assert target.alive()
    assert not target.session_folders_remain()
    assert target.stop() == 0


def test_idle_session_times_out_and_frees_the_target(start_target):
    target = start_target("--runtime", "onnxruntime", "--idle-timeout", "0.3")
    c = raw_client(target)
    hello(c)
    t0 = time.monotonic()
    code, _ = expect_error(c)
    assert code == E.TIMEOUT
    assert time.monotonic() - t0 < 5
    expect_closed(c)
    good_client(target)
    assert target.stop() == 0


def test_token_is_required_and_checked_and_model_limit_enforced(start_target, tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    token.chmod(0o600)
    target = start_target("--runtime", "onnxruntime", "--token-file", str(token),
                          "--max-model-bytes", "2000")
    c = raw_client(target)  # wrong token
    assert hello(c)["auth_required"] is True
    c.send(T.AUTH, 2, b"s3cret-tokeN")
    assert expect_error(c)[0] == E.AUTH
    expect_closed(c)
    c = raw_client(target)  # no token: anything but AUTH is refused
    hello(c)
    c.send(T.MODEL, 2, b"x")
    assert expect_error(c)[0] == E.AUTH
    expect_closed(c)
    c = raw_client(target)  # the right token, then a model over --max-model-bytes
    hello(c)
    c.send(T.AUTH, 2, b"s3cret-token")
    assert c.receive(5, 5).type == T.OK
    c.send(T.MODEL, 3, bytes(3000))
    assert expect_error(c)[0] == E.TOO_LARGE
    expect_closed(c)
    assert target.alive()
    assert target.stop() == 0


def test_sigterm_during_a_session_exits_cleanly_and_removes_the_model_folder(start_target):
    target = start_target("--runtime", "onnxruntime")
    c = Client("127.0.0.1", target.port)
    c.hello()
    c.model(MODEL)
    assert target.session_folders(), "the received model should live in a session folder"
    assert target.stop() == 0
    assert not target.session_folders()
    c.close()
