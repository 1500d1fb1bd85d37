import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import test from "ava";
import { hkdfExpandLabel } from "../../../core/crypto/hkdf.js";
import { encodeMessage, SessionRecord } from "../../../core/protocol/index.js";
import { RecordSealer } from "../../../core/session/record-sealer.js";
import { sessionRecord } from "../../helpers/session-record.js";

const RECORD_KEY = Buffer.alloc(32, 0x42);
const STORE_KEY = "mpush::s:some-hashed-id";
const NONE = Buffer.alloc(0);
/** The two keys the record key derives, by their labels: independent, as CtrHmacAead requires. */
const ENC_KEY = hkdfExpandLabel(RECORD_KEY, "record enc", NONE, 32);
const MAC_KEY = hkdfExpandLabel(RECORD_KEY, "record mac", NONE, 32);

/** HMAC-SHA256(mac key, aad || iv || ciphertext || uint64be(8 * len(aad))), computed with node:crypto. */
function tagOf(macKey: Buffer, aad: Buffer, body: Buffer): Buffer {
  const bits = Buffer.alloc(8);
  bits.writeBigUInt64BE(BigInt(aad.length * 8));
  return createHmac("sha256", macKey).update(aad).update(body).update(bits).digest();
}

test("a sealed record is iv || AES-256-CTR under the 'record enc' key || HMAC-SHA256 under the 'record mac' key", (t) => {
  t.false(ENC_KEY.equals(MAC_KEY));
  const record = sessionRecord(1_700_000_000_000);
  const sealed = new RecordSealer(RECORD_KEY).seal(STORE_KEY, record);
  const iv = sealed.subarray(0, 16);
  const body = sealed.subarray(0, sealed.length - 32);
  const tag = sealed.subarray(sealed.length - 32);
  t.deepEqual(
    tag,
    tagOf(MAC_KEY, Buffer.from(STORE_KEY), body),
    "the tag is keyed by the MAC key, not the encryption key",
  );
  const decipher = createDecipheriv("aes-256-ctr", ENC_KEY, iv);
  const plain = Buffer.concat([decipher.update(body.subarray(16)), decipher.final()]);
  t.deepEqual(plain, encodeMessage(SessionRecord, record));
});

test("a record sealed by hand to that layout opens; the same with the tag under the encryption key does not", (t) => {
  const record = sessionRecord(1_700_000_000_000);
  const iv = Buffer.alloc(16, 7);
  const cipher = createCipheriv("aes-256-ctr", ENC_KEY, iv);
  const body = Buffer.concat([iv, cipher.update(encodeMessage(SessionRecord, record)), cipher.final()]);
  const aad = Buffer.from(STORE_KEY);
  const sealer = new RecordSealer(RECORD_KEY);
  t.deepEqual(sealer.open(STORE_KEY, Buffer.concat([body, tagOf(MAC_KEY, aad, body)])), record);
  t.is(sealer.open(STORE_KEY, Buffer.concat([body, tagOf(ENC_KEY, aad, body)])), undefined);
});
