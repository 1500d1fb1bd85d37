import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import test from "ava";
import { CTR_HMAC_IV, CTR_HMAC_TAG, CtrHmacAead } from "../../../core/crypto/ctr-hmac-aead.js";

const encKey = randomBytes(32);
const macKey = randomBytes(32);
const aead = new CtrHmacAead(encKey, macKey);
const aad = Buffer.from("s:store-key");

test("sealed = iv || AES-256-CTR(enc_key, iv, plaintext) || HMAC-SHA256(mac_key, aad || iv || ct || 64-bit aad bit length)", (t) => {
  const plain = randomBytes(150);
  const sealed = aead.seal(aad, plain);
  t.is(sealed.length, CTR_HMAC_IV + plain.length + CTR_HMAC_TAG);
  const iv = sealed.subarray(0, CTR_HMAC_IV);
  const ct = sealed.subarray(CTR_HMAC_IV, CTR_HMAC_IV + plain.length);
  t.deepEqual(ct, createCipheriv("aes-256-ctr", encKey, iv).update(plain));
  const bits = Buffer.alloc(8);
  bits.writeUInt32BE(aad.length * 8, 4);
  const tag = createHmac("sha256", macKey).update(aad).update(iv).update(ct).update(bits).digest();
  t.deepEqual(sealed.subarray(CTR_HMAC_IV + plain.length), tag);
  t.deepEqual(aead.open(aad, sealed), plain);
});

test("each seal draws a fresh iv: the same plaintext seals differently", (t) => {
  const plain = Buffer.from("same record");
  const a = aead.seal(aad, plain);
  const b = aead.seal(aad, plain);
  t.notDeepEqual(a.subarray(0, CTR_HMAC_IV), b.subarray(0, CTR_HMAC_IV));
  t.notDeepEqual(a, b);
  t.deepEqual(aead.open(aad, a), plain);
  t.deepEqual(aead.open(aad, b), plain);
});

test("nothing opens under another aad, other keys, or after any flipped bit or cut", (t) => {
  const plain = randomBytes(40);
  const sealed = aead.seal(aad, plain);
  t.is(aead.open(Buffer.from("s:other-key"), sealed), undefined);
  t.is(new CtrHmacAead(randomBytes(32), macKey).open(aad, sealed)?.equals(plain) ?? false, false);
  t.is(new CtrHmacAead(encKey, randomBytes(32)).open(aad, sealed), undefined);
  for (let bit = 0; bit < sealed.length * 8; bit += 7) {
    const tampered = Buffer.from(sealed);
    tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
    if (aead.open(aad, tampered) !== undefined) t.fail(`bit ${bit} flipped and it still opened`);
  }
  t.is(aead.open(aad, sealed.subarray(0, sealed.length - 1)), undefined);
  t.is(aead.open(aad, sealed.subarray(0, CTR_HMAC_IV + CTR_HMAC_TAG - 1)), undefined);
  t.deepEqual(aead.open(aad, aead.seal(aad, Buffer.alloc(0))), Buffer.alloc(0), "an empty plaintext round-trips");
});
