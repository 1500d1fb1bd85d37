#!/usr/bin/python3
"""Recomputes every value of docs/test-vectors.json from its inputs, following
docs/protocol.md and nothing of the TypeScript code, and exits non-zero on any
mismatch (or on any vector it did not check).

Needs: Python 3 standard library (hashlib, hmac, zlib), `cryptography`
(X25519, Ed25519, AES-GCM), `google.protobuf`, and `protoc` on PATH.
On Debian: apt-get install python3-cryptography python3-protobuf protobuf-compiler.
The protobuf classes are generated into a temporary directory at each run.

usage: check_vectors.py [docs/test-vectors.json]
"""

import base64
import hashlib
import hmac
import importlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROTOS = ["command.proto", "error.proto", "ok.proto", "handshake.proto", "fast_connect.proto"]


def fail_setup(message):
    print(f"check_vectors: {message}", file=sys.stderr)
    sys.exit(2)


try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as error:
    fail_setup(f"the cryptography package is missing ({error}); install python3-cryptography")


def load_protobuf_classes(workdir):
    """protoc --python_out into a temporary directory, then import mpush.v1.*_pb2 from there."""
    try:
        import google.protobuf  # noqa: F401
    except ImportError as error:
        fail_setup(f"the protobuf runtime is missing ({error}); install python3-protobuf")
    protoc = shutil.which("protoc")
    if protoc is None:
        fail_setup("protoc is not on PATH; install protobuf-compiler")
    proto_root = os.path.join(ROOT, "proto")
    files = [os.path.join(proto_root, "mpush", "v1", name) for name in PROTOS]
    subprocess.run([protoc, f"-I{proto_root}", f"--python_out={workdir}", *files], check=True)
    sys.path.insert(0, workdir)
    return {name: importlib.import_module(f"mpush.v1.{name}_pb2") for name in ("error", "handshake", "fast_connect")}


# --- docs/protocol.md section 8: key derivation ---------------------------------


def sha256(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.digest()


def transcript_hash(first, second):
    """Protocol sections 9.2 and 10.3: each part prefixed with its length, 4 bytes big-endian."""
    return sha256(struct.pack(">I", len(first)), first, struct.pack(">I", len(second)), second)


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf_extract(salt, ikm):
    return hmac_sha256(salt, ikm)


def hkdf_expand(prk, info, length):
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes([i]))
        out += block
        i += 1
    return out[:length]


def hkdf_label(label, context, length):
    full = b"mpush1 " + label
    return struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context


def hkdf_expand_label(secret, label, context, length):
    return hkdf_expand(secret, hkdf_label(label, context, length), length)


def derive_secret(secret, label, transcript_hash):
    return hkdf_expand_label(secret, label, transcript_hash, 32)


def traffic_keys(traffic_secret):
    return hkdf_expand_label(traffic_secret, b"key", b"", 16), hkdf_expand_label(traffic_secret, b"iv", b"", 12)


ZEROS = bytes(32)

# --- section 2: framing; section 7: heartbeat -----------------------------------


def header(length, cmd, flags, seq):
    return struct.pack(">IBHBIB", length, cmd, 0, flags, seq, 0)


def frame(cmd, flags, seq, body):
    return header(len(body), cmd, flags, seq) + body


def negotiate_heartbeat(cmin, cmax, smin, smax):
    if cmax != 0 and cmin > cmax:
        return "INVALID_ARGUMENT"
    cmax_ = float("inf") if cmax == 0 else cmax
    lo, hi = max(cmin, smin), min(cmax_, smax)
    if lo <= hi:
        return hi
    return smin if cmax_ < smin else smax


def x25519_public(private):
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class Checker:
    """Compares computed values with the vectors and remembers which leaves were read or checked."""

    def __init__(self, vectors):
        self.vectors = vectors
        self.seen = set()
        self.failures = []
        self.checked = 0

    def _get(self, path):
        node = self.vectors
        for key in path.split("."):
            node = node[int(key)] if isinstance(node, list) else node[key]
        self.seen.add(path)
        return node

    def input(self, path):
        return self._get(path)

    def bytes_input(self, path):
        return bytes.fromhex(self._get(path))

    def expect(self, path, actual):
        expected = self._get(path)
        if isinstance(actual, (bytes, bytearray)):
            actual = bytes(actual).hex()
        self.checked += 1
        if actual != expected:
            self.failures.append(f"{path}: computed {actual!r}, vectors say {expected!r}")

    def require(self, what, condition):
        self.checked += 1
        if not condition:
            self.failures.append(what)

    def unseen_leaves(self):
        leaves = []

        def walk(node, path):
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, f"{path}.{key}" if path else key)
            elif isinstance(node, list):
                for index, value in enumerate(node):
                    walk(value, f"{path}.{index}")
            elif path not in self.seen and path != "about":
                leaves.append(path)

        walk(self.vectors, "")
        return leaves


def fingerprint(public):
    """Standard base64 (RFC 4648 section 4), not base64url, without padding."""
    return "SHA256:" + base64.b64encode(sha256(public)).decode().rstrip("=")


def check_server(c):
    seed = c.bytes_input("server.identity_seed")
    identity = Ed25519PrivateKey.from_private_bytes(seed)
    public = identity.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    c.expect("server.identity_public_key", public)
    c.expect("server.fingerprint", fingerprint(public))
    for i in range(len(c.vectors["server"]["fingerprint_examples"])):
        at = f"server.fingerprint_examples.{i}"
        example = Ed25519PrivateKey.from_private_bytes(c.bytes_input(f"{at}.seed")).public_key()
        example_public = example.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        c.expect(f"{at}.public_key", example_public)
        c.expect(f"{at}.fingerprint", fingerprint(example_public))
    settings = {
        name: c.input(f"server.{name}")
        for name in (
            "heartbeat_min_ms",
            "heartbeat_max_ms",
            "session_ttl_ms",
            "session_max_lifetime_ms",
            "replay_window_ms",
            "max_body_bytes",
        )
    }
    return identity, public, settings


def check_heartbeats(c, s):
    for i, case in enumerate(c.vectors["heartbeat_negotiation"]):
        cmin, cmax = c.input(f"heartbeat_negotiation.{i}.client_min_ms"), c.input(f"heartbeat_negotiation.{i}.client_max_ms")
        result = negotiate_heartbeat(cmin, cmax, s["heartbeat_min_ms"], s["heartbeat_max_ms"])
        key = "error" if "error" in case else "heartbeat_ms"
        c.expect(f"heartbeat_negotiation.{i}.{key}", result)


def check_frames(c, pb):
    c.require("a heartbeat is the byte 0xDF", c.input("frames.heartbeat.request") == "df")
    c.expect("frames.heartbeat.reply", b"\xdf")
    c.expect("frames.unsupported_command.request_frame", frame(99, 0, 7, b""))
    reason = c.input("frames.unsupported_command.reply.reason")
    error = pb["error"]
    body = error.ErrorReply(command=99, code=error.ERROR_CODE_UNSUPPORTED_CMD, reason=reason).SerializeToString()
    c.expect("frames.unsupported_command.reply_frame", frame(10, 0, 7, body))
    c.expect("frames.unsupported_command.reply.cmd", 10)
    c.expect("frames.unsupported_command.reply.seq", 7)
    c.expect("frames.unsupported_command.reply.command", 99)
    c.expect("frames.unsupported_command.reply.code", 101)


def check_handshake(c, pb, identity, identity_public, s):
    hs = pb["handshake"]
    p = "handshake.inputs."
    client_private = X25519PrivateKey.from_private_bytes(c.bytes_input(p + "client_ephemeral_private"))
    server_private = X25519PrivateKey.from_private_bytes(c.bytes_input(p + "server_ephemeral_private"))
    client_share, server_share = x25519_public(client_private), x25519_public(server_private)
    c.expect("handshake.client_share", client_share)
    c.expect("handshake.server_share", server_share)
    min_hb, max_hb, seq = c.input(p + "min_heartbeat_ms"), c.input(p + "max_heartbeat_ms"), c.input(p + "seq")

    # 9.1: the request.
    request_body = hs.HandshakeRequest(
        device_id=c.input(p + "device_id"),
        os_name=c.input(p + "os_name"),
        os_version=c.input(p + "os_version"),
        client_version=c.input(p + "client_version"),
        min_heartbeat_ms=min_hb,
        max_heartbeat_ms=max_hb,
        client_nonce=c.bytes_input(p + "client_nonce"),
        client_share=client_share,
    ).SerializeToString()
    c.expect("handshake.request_body", request_body)
    c.expect("handshake.request_frame", frame(2, 0, seq, request_body))

    # 9.2: the server.
    heartbeat = negotiate_heartbeat(min_hb, max_hb, s["heartbeat_min_ms"], s["heartbeat_max_ms"])
    c.expect("handshake.heartbeat_ms", heartbeat)
    now = c.input(p + "server_time_ms")
    expires = min(now + s["session_ttl_ms"], now + s["session_max_lifetime_ms"])
    c.expect("handshake.expires_at_ms", expires)
    shared = server_private.exchange(X25519PublicKey.from_public_bytes(client_share))
    c.expect("handshake.shared_secret", shared)
    server_hello = hs.HandshakeServerHello(
        server_nonce=c.bytes_input(p + "server_nonce"),
        server_share=server_share,
        session_id=c.input(p + "session_id"),
        expires_at_ms=expires,
        heartbeat_ms=heartbeat,
        server_time_ms=now,
    ).SerializeToString()
    c.expect("handshake.server_hello", server_hello)
    th = transcript_hash(request_body, server_hello)
    c.expect("handshake.transcript_hash", th)
    signature_input = b"mpush/v1 handshake" + b"\x00" + th
    c.require("signature input is 51 bytes", len(signature_input) == 51)
    c.expect("handshake.signature_input", signature_input)
    signature = identity.sign(signature_input)
    c.expect("handshake.signature", signature)
    reply_body = hs.HandshakeOk(server_hello=server_hello, signature=signature).SerializeToString()
    c.expect("handshake.reply_body", reply_body)
    c.expect("handshake.reply_frame", frame(2, 0, seq, reply_body))

    # 9.3: the client, from the reply bytes of the vectors.
    ok = hs.HandshakeOk.FromString(bytes.fromhex(c.vectors["handshake"]["reply_body"]))
    pinned = Ed25519PrivateKey.from_private_bytes(c.bytes_input("server.identity_seed")).public_key()
    try:
        pinned.verify(ok.signature, b"mpush/v1 handshake\x00" + transcript_hash(request_body, ok.server_hello))
        verified = True
    except Exception:  # cryptography raises InvalidSignature
        verified = False
    c.require("the client verifies the handshake signature with the pinned key", verified)
    hello = hs.HandshakeServerHello.FromString(ok.server_hello)
    client_shared = client_private.exchange(X25519PublicKey.from_public_bytes(hello.server_share))
    c.require("both sides compute the same X25519 secret", client_shared == shared)
    c.require("the pinned key is the identity's", identity_public == pinned.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    handshake_secret = hkdf_extract(ZEROS, shared)
    c.expect("handshake.handshake_secret", handshake_secret)
    return check_schedule(c, "handshake", handshake_secret, th)


def check_schedule(c, section, secret, th):
    """The part of the key schedule HANDSHAKE and FAST_CONNECT share (9.2 step 5, 10.3 step 2)."""
    client_traffic = derive_secret(secret, b"c ap traffic", th)
    server_traffic = derive_secret(secret, b"s ap traffic", th)
    c.expect(f"{section}.client_traffic_secret", client_traffic)
    c.expect(f"{section}.server_traffic_secret", server_traffic)
    keys = {"client_to_server": traffic_keys(client_traffic), "server_to_client": traffic_keys(server_traffic)}
    for direction, (key, iv) in keys.items():
        c.expect(f"{section}.{direction}.key", key)
        c.expect(f"{section}.{direction}.iv", iv)
    session_secret = derive_secret(secret, b"res master", th)
    c.expect(f"{section}.session_secret", session_secret)
    return keys, session_secret


def check_fast_connect(c, pb, s, handshake_secret):
    fc = pb["fast_connect"]
    p = "fast_connect.inputs."
    secret = c.bytes_input(p + "session_secret")
    c.require("FAST_CONNECT resumes the handshake's session secret", secret == handshake_secret)
    c.require("FAST_CONNECT presents the handshake's session id",
              c.input(p + "session_id") == c.input("handshake.inputs.session_id"))
    min_hb, max_hb, seq = c.input(p + "min_heartbeat_ms"), c.input(p + "max_heartbeat_ms"), c.input(p + "seq")
    timestamp = c.input(p + "timestamp_ms")

    # 10.1: hello and binder.
    hello = fc.FastConnectHello(
        session_id=c.input(p + "session_id"),
        device_id=c.input(p + "device_id"),
        min_heartbeat_ms=min_hb,
        max_heartbeat_ms=max_hb,
        client_nonce=c.bytes_input(p + "client_nonce"),
        timestamp_ms=timestamp,
    ).SerializeToString()
    c.expect("fast_connect.hello", hello)
    early = hkdf_extract(ZEROS, secret)
    c.expect("fast_connect.early_secret", early)
    binder_key = derive_secret(early, b"res binder", sha256(b""))
    c.expect("fast_connect.binder_key", binder_key)
    binder = hmac_sha256(binder_key, sha256(hello))
    c.expect("fast_connect.binder", binder)
    request_body = fc.FastConnectRequest(hello=hello, binder=binder).SerializeToString()
    c.expect("fast_connect.request_body", request_body)
    c.expect("fast_connect.request_frame", frame(7, 0, seq, request_body))

    # 10.3: the server's checks that the vectors pass, then its reply.
    c.require("the binder verifies", hmac.compare_digest(binder, hmac_sha256(binder_key, sha256(hello))))
    c.require("the device is the session's", c.input(p + "device_id") == c.input("handshake.inputs.device_id"))
    now = c.input(p + "server_time_ms")
    c.require("the timestamp is inside the replay window", abs(now - timestamp) <= s["replay_window_ms"])
    heartbeat = negotiate_heartbeat(min_hb, max_hb, s["heartbeat_min_ms"], s["heartbeat_max_ms"])
    c.expect("fast_connect.heartbeat_ms", heartbeat)
    created = c.input(p + "session_created_at_ms")
    c.require("the session was created by the handshake", created == c.input("handshake.inputs.server_time_ms"))
    expires = min(now + s["session_ttl_ms"], created + s["session_max_lifetime_ms"])
    c.require("the chain is still alive", expires > now)
    c.expect("fast_connect.expires_at_ms", expires)
    server_hello = fc.FastConnectServerHello(
        server_nonce=c.bytes_input(p + "server_nonce"),
        session_id=c.input(p + "new_session_id"),
        expires_at_ms=expires,
        heartbeat_ms=heartbeat,
        server_time_ms=now,
    ).SerializeToString()
    c.expect("fast_connect.server_hello", server_hello)
    th = transcript_hash(hello, server_hello)
    c.expect("fast_connect.transcript_hash", th)
    finished = derive_secret(early, b"s finished", th)
    c.expect("fast_connect.finished", finished)
    reply_body = fc.FastConnectOk(server_hello=server_hello, finished=finished).SerializeToString()
    c.expect("fast_connect.reply_body", reply_body)
    c.expect("fast_connect.reply_frame", frame(7, 0, seq, reply_body))

    # 10.4: the client checks finished from the reply bytes of the vectors.
    ok = fc.FastConnectOk.FromString(bytes.fromhex(c.vectors["fast_connect"]["reply_body"]))
    expected = derive_secret(early, b"s finished", transcript_hash(hello, ok.server_hello))
    c.require("the client verifies finished", hmac.compare_digest(ok.finished, expected))
    keys, rotated = check_schedule(c, "fast_connect", early, th)
    c.require("rotation gives a new secret", rotated != secret)
    return keys


def check_records(c, keys_by_connection, max_body):
    counters = {}
    for i, record in enumerate(c.vectors["records"]):
        r = f"records.{i}."
        connection, direction = c.input(r + "connection"), c.input(r + "direction")
        key, iv = keys_by_connection[connection][direction]
        counter = c.input(r + "counter")
        expected_counter = counters.get((connection, direction), 0)
        c.require(f"{r}counter runs on from 0 per connection and direction", counter == expected_counter)
        counters[(connection, direction)] = expected_counter + 1

        cmd, flags, seq = c.input(r + "cmd"), c.input(r + "flags"), c.input(r + "seq")
        c.require(f"{r}flags has ENCRYPTED (0x01)", flags & 0x01 == 0x01)
        c.require(f"{r}flags has no reserved bit", flags & 0xF0 == 0)
        plaintext = c.bytes_input(r + "plaintext")
        body = plaintext
        if flags & 0x02:
            body = c.bytes_input(r + "deflated")
            inflated = zlib.decompressobj().decompress(body, max_body)
            c.require(f"{r}deflated inflates (RFC 1950) to the plaintext", inflated == plaintext)
        c.require(f"{r}sealed body fits the limit", len(body) + 16 <= max_body)

        nonce = bytes(a ^ b for a, b in zip(iv, bytes(4) + struct.pack(">Q", counter)))
        c.expect(r + "nonce", nonce)
        aad = header(len(body) + 16, cmd, flags, seq)
        c.expect(r + "aad", aad)
        sealed = aad + AESGCM(key).encrypt(nonce, body, aad)
        c.expect(r + "frame", sealed)
        opened = AESGCM(key).decrypt(nonce, bytes.fromhex(record["frame"])[13:], aad)
        c.require(f"{r}frame opens", opened == body)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "test-vectors.json")
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    c = Checker(vectors)
    with tempfile.TemporaryDirectory(prefix="mpush-pb2-") as workdir:
        pb = load_protobuf_classes(workdir)
        c.require("HkdfLabel example of section 8", hkdf_label(b"key", b"", 16).hex() == "00100a6d7075736831206b657900")
        identity, public, settings = check_server(c)
        check_heartbeats(c, settings)
        check_frames(c, pb)
        handshake_keys, session_secret = check_handshake(c, pb, identity, public, settings)
        fast_connect_keys = check_fast_connect(c, pb, settings, session_secret)
        check_records(c, {"handshake": handshake_keys, "fast_connect": fast_connect_keys}, settings["max_body_bytes"])

    unseen = c.unseen_leaves()
    for leaf in unseen:
        c.failures.append(f"{leaf}: in the vectors but not checked")
    if c.failures:
        for failure in c.failures:
            print(f"MISMATCH {failure}", file=sys.stderr)
        print(f"check_vectors: {len(c.failures)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"check_vectors: {c.checked} checks passed, every vector covered ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
