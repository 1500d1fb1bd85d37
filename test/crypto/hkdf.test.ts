import test from "ava";
import { hkdfExpand, hkdfExtract, hkdfLabel, sha256 } from "../../core/crypto/hkdf.js";

const hex = (s: string) => Buffer.from(s, "hex");

// RFC 5869 appendix A, test cases 1 and 3 (SHA-256).
const cases = [
  {
    ikm: "0b".repeat(22),
    salt: "000102030405060708090a0b0c",
    info: "f0f1f2f3f4f5f6f7f8f9",
    prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  },
  {
    ikm: "0b".repeat(22),
    salt: "",
    info: "",
    prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  },
];

test("HKDF matches RFC 5869, for multi-block output and for the one-block lengths the key schedule uses", (t) => {
  for (const c of cases) {
    const prk = hkdfExtract(hex(c.salt), hex(c.ikm));
    t.is(prk.toString("hex"), c.prk);
    t.is(hkdfExpand(prk, hex(c.info), 42).toString("hex"), c.okm);
    // A shorter output is a prefix of the longer one.
    for (const length of [32, 16, 12])
      t.is(hkdfExpand(prk, hex(c.info), length).toString("hex"), c.okm.slice(0, 2 * length));
  }
});

test("HkdfLabel is u16 length, prefixed label with its length, context with its length", (t) => {
  t.is(
    hkdfLabel("key", Buffer.alloc(0), 16).toString("hex"),
    `0010${"0a"}${Buffer.from("mpush1 key").toString("hex")}00`,
  );
  t.is(hkdfLabel("iv", hex("abcd"), 12).toString("hex"), `000c09${Buffer.from("mpush1 iv").toString("hex")}02abcd`);
});

test("sha256 of one part and of several parts concatenated", (t) => {
  t.is(sha256(Buffer.from("abc")).toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  t.deepEqual(sha256(Buffer.from("a"), Buffer.from("bc")), sha256(Buffer.from("abc")));
});
