import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";

// A browser client has WebCrypto and nothing else. This recomputes every cryptographic value of
// docs/test-vectors.json through `crypto.subtle` alone (Node's implementation of the same API),
// following docs/protocol.md: no project code, no node:crypto. Protobuf encodings are taken from
// the vectors as bytes; the Python and Java checks rebuild those from the fields.

const subtle = globalThis.crypto.subtle;
type Key = Awaited<ReturnType<typeof subtle.importKey>>;
const vectors = JSON.parse(readFileSync(new URL("../../../docs/test-vectors.json", import.meta.url), "utf8"));
const hs = vectors.handshake;
const fc = vectors.fast_connect;

const hex = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, "hex"));
const toHex = (bytes: ArrayBuffer | Uint8Array): string => Buffer.from(bytes as ArrayBuffer).toString("hex");
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** A copy with its first byte changed. */
const flipped = (bytes: Uint8Array): Uint8Array => concat(new Uint8Array([(bytes[0] ?? 0) ^ 1]), bytes.slice(1));
/** WebCrypto rejects with a DOMException, which is not an Error. */
const rejects = (promise: Promise<unknown>): Promise<boolean> =>
  promise.then(
    () => false,
    () => true,
  );
const u32 = (value: number): Uint8Array => new Uint8Array([value >>> 24, value >>> 16, value >>> 8, value]);

// RFC 8410 PKCS#8 prefixes: WebCrypto imports a raw private key of these curves only wrapped.
const X25519_PKCS8 = hex("302e020100300506032b656e04220420");
const ED25519_PKCS8 = hex("302e020100300506032b657004220420");

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.digest("SHA-256", data));
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const imported = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", imported, data));
}

// §8: TLS 1.3's schedule. WebCrypto's HKDF always extracts first, so Expand is HMAC, as RFC 5869 defines it.
async function expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number) {
  const full = utf8(`mpush1 ${label}`);
  const info = concat(
    new Uint8Array([length >> 8, length & 0xff, full.length]),
    full,
    new Uint8Array([context.length]),
    context,
  );
  return (await hmac(secret, concat(info, new Uint8Array([1])))).slice(0, length);
}

async function transcriptHash(first: Uint8Array, second: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(u32(first.length), first, u32(second.length), second));
}

/** §9.2 step 5 and §10.3 step 2: traffic secrets, their keys and ivs, and the next session secret. */
async function schedule(secret: Uint8Array, th: Uint8Array) {
  const client = await expandLabel(secret, "c ap traffic", th, 32);
  const server = await expandLabel(secret, "s ap traffic", th, 32);
  const keys = async (traffic: Uint8Array) => ({
    key: toHex(await expandLabel(traffic, "key", new Uint8Array(0), 16)),
    iv: toHex(await expandLabel(traffic, "iv", new Uint8Array(0), 12)),
  });
  return {
    client_traffic_secret: toHex(client),
    server_traffic_secret: toHex(server),
    client_to_server: await keys(client),
    server_to_client: await keys(server),
    session_secret: toHex(await expandLabel(secret, "res master", th, 32)),
  };
}

async function x25519Private(raw: Uint8Array): Promise<Key> {
  return subtle.importKey("pkcs8", concat(X25519_PKCS8, raw), { name: "X25519" }, true, ["deriveBits"]);
}

async function publicOf(privateKey: Key): Promise<Uint8Array> {
  const jwk = await subtle.exportKey("jwk", privateKey);
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

async function x25519(privateKey: Key, peerShare: Uint8Array): Promise<Uint8Array> {
  const peer = await subtle.importKey("raw", peerShare, { name: "X25519" }, false, []);
  return new Uint8Array(await subtle.deriveBits({ name: "X25519", public: peer }, privateKey, 256));
}

const pick = (from: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(keys.map((key) => [key, from[key]]));
const SCHEDULE_KEYS = [
  "client_traffic_secret",
  "server_traffic_secret",
  "client_to_server",
  "server_to_client",
  "session_secret",
];

/** Standard base64 (RFC 4648 §4), not base64url, without padding. */
async function fingerprintOf(publicKey: Uint8Array): Promise<string> {
  return `SHA256:${Buffer.from(await sha256(publicKey))
    .toString("base64")
    .replace(/=+$/, "")}`;
}

test("HANDSHAKE: X25519, Ed25519, SHA-256 and the key schedule through WebCrypto give the vectors' bytes", async (t) => {
  const identity = await subtle.importKey(
    "pkcs8",
    concat(ED25519_PKCS8, hex(vectors.server.identity_seed)),
    { name: "Ed25519" },
    true,
    ["sign"],
  );
  t.is(toHex(await publicOf(identity)), vectors.server.identity_public_key);
  t.is(await fingerprintOf(hex(vectors.server.identity_public_key)), vectors.server.fingerprint);
  for (const example of vectors.server.fingerprint_examples) {
    const key = await subtle.importKey("pkcs8", concat(ED25519_PKCS8, hex(example.seed)), { name: "Ed25519" }, true, [
      "sign",
    ]);
    t.is(toHex(await publicOf(key)), example.public_key);
    t.is(await fingerprintOf(hex(example.public_key)), example.fingerprint);
  }
  const pinned = await subtle.importKey("raw", hex(vectors.server.identity_public_key), { name: "Ed25519" }, false, [
    "verify",
  ]);

  const client = await x25519Private(hex(hs.inputs.client_ephemeral_private));
  const server = await x25519Private(hex(hs.inputs.server_ephemeral_private));
  t.is(toHex(await publicOf(client)), hs.client_share);
  t.is(toHex(await publicOf(server)), hs.server_share);
  const shared = await x25519(client, hex(hs.server_share));
  t.is(toHex(shared), hs.shared_secret);
  t.is(toHex(await x25519(server, hex(hs.client_share))), hs.shared_secret);

  const th = await transcriptHash(hex(hs.request_body), hex(hs.server_hello));
  t.is(toHex(th), hs.transcript_hash);
  const signatureInput = concat(utf8("mpush/v1 handshake"), new Uint8Array([0]), th);
  t.is(toHex(signatureInput), hs.signature_input);
  t.is(toHex(await subtle.sign("Ed25519", identity, signatureInput)), hs.signature);
  t.true(await subtle.verify("Ed25519", pinned, hex(hs.signature), signatureInput));
  t.false(
    await subtle.verify("Ed25519", pinned, flipped(hex(hs.signature)), signatureInput),
    "a changed signature must not verify",
  );

  const handshakeSecret = await hmac(new Uint8Array(32), shared);
  t.is(toHex(handshakeSecret), hs.handshake_secret);
  t.deepEqual(await schedule(handshakeSecret, th), pick(hs, SCHEDULE_KEYS));
});

test("FAST_CONNECT: the binder, finished and the key schedule through WebCrypto give the vectors' bytes", async (t) => {
  const secret = hex(fc.inputs.session_secret);
  t.is(fc.inputs.session_secret, hs.session_secret, "the vectors resume the handshake's session");
  const early = await hmac(new Uint8Array(32), secret);
  t.is(toHex(early), fc.early_secret);
  const binderKey = await expandLabel(early, "res binder", await sha256(new Uint8Array(0)), 32);
  t.is(toHex(binderKey), fc.binder_key);
  t.is(toHex(await hmac(binderKey, await sha256(hex(fc.hello)))), fc.binder);

  const th = await transcriptHash(hex(fc.hello), hex(fc.server_hello));
  t.is(toHex(th), fc.transcript_hash);
  t.is(toHex(await expandLabel(early, "s finished", th, 32)), fc.finished);
  t.deepEqual(await schedule(early, th), pick(fc, SCHEDULE_KEYS));
});

test("records: AES-128-GCM with the header as associated data, and deflate, through WebCrypto and Compression Streams", async (t) => {
  const keysOf = { handshake: hs, fast_connect: fc } as Record<string, Record<string, { key: string; iv: string }>>;
  t.true(vectors.records.length > 0);
  for (const record of vectors.records) {
    const { key, iv } = keysOf[record.connection]?.[record.direction] ?? { key: "", iv: "" };
    const nonce = hex(iv);
    // §11: the 64-bit counter, big-endian, XORed into the last 8 bytes of the iv.
    const counter = new Uint8Array(12);
    new DataView(counter.buffer).setBigUint64(4, BigInt(record.counter));
    nonce.forEach((byte, i) => {
      nonce[i] = byte ^ (counter[i] ?? 0);
    });
    t.is(toHex(nonce), record.nonce);

    let body = hex(record.plaintext);
    if (record.flags & 0x02) {
      body = hex(record.deflated);
      const inflated = new Response(new Blob([body]).stream().pipeThrough(new DecompressionStream("deflate")));
      t.is(toHex(await inflated.arrayBuffer()), record.plaintext, "the deflated body inflates to the plaintext");
    }
    const sealedLength = body.length + 16;
    const aad = concat(
      u32(sealedLength),
      new Uint8Array([record.cmd, 0, 0, record.flags]),
      u32(record.seq),
      new Uint8Array([0]),
    );
    t.is(toHex(aad), record.aad);
    const aes = await subtle.importKey("raw", hex(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
    const sealed = new Uint8Array(await subtle.encrypt(params, aes, body));
    t.is(toHex(concat(aad, sealed)), record.frame);

    t.deepEqual(new Uint8Array(await subtle.decrypt(params, aes, hex(record.frame).slice(13))), body);
    t.true(await rejects(subtle.decrypt(params, aes, flipped(sealed))), "a changed byte must not open");
    const otherHeader = { ...params, additionalData: flipped(aad) };
    t.true(await rejects(subtle.decrypt(otherHeader, aes, sealed)), "a changed header must not open");
  }
});
