import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import mpush.v1.CommandOuterClass.Command;
import mpush.v1.Error.ErrorCode;
import mpush.v1.Error.ErrorReply;
import mpush.v1.FastConnect.FastConnectHello;
import mpush.v1.FastConnect.FastConnectOk;
import mpush.v1.FastConnect.FastConnectRequest;
import mpush.v1.FastConnect.FastConnectServerHello;
import mpush.v1.Handshake.HandshakeOk;
import mpush.v1.Handshake.HandshakeRequest;
import mpush.v1.Handshake.HandshakeServerHello;

/**
 * Recomputes every value of docs/test-vectors.json from its inputs with the JDK 17 standard library and
 * protoc-generated protobuf-java classes, following docs/protocol.md and nothing of the TypeScript code. It exits 1
 * on any mismatch or on any vector it did not check, and 2 when it cannot run at all.
 *
 * <p>Run it through check-vectors.sh, which generates the message classes with protoc and compiles everything
 * into a temporary directory. usage: CheckVectors docs/test-vectors.json
 */
public final class CheckVectors {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] ZEROS = new byte[32];
  private static final int HEADER_BYTES = 13;
  private static final int TAG_BYTES = 16;

  private CheckVectors() {}

  // docs/protocol.md section 8: key derivation.

  static byte[] sha256(byte[]... parts) throws NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (byte[] part : parts) {
      digest.update(part);
    }
    return digest.digest();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  static byte[] u32be(long value) {
    return ByteBuffer.allocate(4).putInt(uint32(value)).array();
  }

  /** A u32 held in Java's signed int: the bits are kept, so 0x80000001 becomes a negative int. */
  static int uint32(long value) {
    if (value < 0 || value > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(value + " does not fit in a u32");
    }
    return (int) value;
  }

  /** Sections 9.2 and 10.3: each part prefixed with its length, 4 bytes big-endian. */
  static byte[] transcriptHash(byte[] first, byte[] second) throws NoSuchAlgorithmException {
    return sha256(u32be(first.length), first, u32be(second.length), second);
  }

  static byte[] hmacSha256(byte[] key, byte[] data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  static byte[] hkdfExtract(byte[] salt, byte[] ikm) throws GeneralSecurityException {
    return hmacSha256(salt, ikm);
  }

  /** JDK 17 has no HKDF, so RFC 5869's expand is written out as section 8 gives it. */
  static byte[] hkdfExpand(byte[] prk, byte[] info, int length) throws GeneralSecurityException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] block = new byte[0];
    for (int i = 1; out.size() < length; i++) {
      block = hmacSha256(prk, concat(block, info, new byte[] {(byte) i}));
      out.writeBytes(block);
    }
    return Arrays.copyOf(out.toByteArray(), length);
  }

  static byte[] hkdfLabel(String label, byte[] context, int length) {
    byte[] full = ("mpush1 " + label).getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(2 + 1 + full.length + 1 + context.length)
        .putShort((short) length)
        .put((byte) full.length)
        .put(full)
        .put((byte) context.length)
        .put(context)
        .array();
  }

  static byte[] hkdfExpandLabel(byte[] secret, String label, byte[] context, int length)
      throws GeneralSecurityException {
    return hkdfExpand(secret, hkdfLabel(label, context, length), length);
  }

  static byte[] deriveSecret(byte[] secret, String label, byte[] transcriptHash) throws GeneralSecurityException {
    return hkdfExpandLabel(secret, label, transcriptHash, 32);
  }

  record TrafficKeys(byte[] key, byte[] iv) {}

  static TrafficKeys trafficKeys(byte[] trafficSecret) throws GeneralSecurityException {
    return new TrafficKeys(
        hkdfExpandLabel(trafficSecret, "key", new byte[0], 16), hkdfExpandLabel(trafficSecret, "iv", new byte[0], 12));
  }

  // Section 2: framing; section 7: heartbeat.

  static byte[] header(long length, int cmd, int flags, long seq) {
    return ByteBuffer.allocate(HEADER_BYTES)
        .putInt(uint32(length))
        .put((byte) cmd)
        .putShort((short) 0)
        .put((byte) flags)
        .putInt(uint32(seq))
        .put((byte) 0)
        .array();
  }

  static byte[] frame(int cmd, int flags, long seq, byte[] body) {
    return concat(header(body.length, cmd, flags, seq), body);
  }

  /** A received frame's header fields, read as section 2.1 gives them (cc and lrc ignored). */
  record Frame(long length, int cmd, int flags, long seq, byte[] body) {
    static Frame parse(byte[] bytes) {
      if (bytes.length < HEADER_BYTES) {
        throw new IllegalArgumentException("a frame of " + bytes.length + " bytes has no complete header");
      }
      ByteBuffer in = ByteBuffer.wrap(bytes);
      long length = Integer.toUnsignedLong(in.getInt(0));
      if (length != bytes.length - HEADER_BYTES) {
        throw new IllegalArgumentException("header length " + length + ", body " + (bytes.length - HEADER_BYTES));
      }
      return new Frame(
          length,
          Byte.toUnsignedInt(in.get(4)),
          Byte.toUnsignedInt(in.get(7)),
          Integer.toUnsignedLong(in.getInt(8)),
          Arrays.copyOfRange(bytes, HEADER_BYTES, bytes.length));
    }
  }

  /** Section 7. 0 as Cmax means no bound; a long stands in for infinity since bounds are u32. */
  static Object negotiateHeartbeat(long cmin, long cmax, long smin, long smax) {
    if (cmax != 0 && cmin > cmax) {
      return "INVALID_ARGUMENT";
    }
    long cmaxOrInfinity = cmax == 0 ? Long.MAX_VALUE : cmax;
    long lo = Math.max(cmin, smin);
    long hi = Math.min(cmaxOrInfinity, smax);
    if (lo <= hi) {
      return hi;
    }
    return cmaxOrInfinity < smin ? smin : smax;
  }

  // X25519 (RFC 7748) on the JDK's XDH, which takes keys as a scalar byte string and a BigInteger u.

  static PrivateKey x25519PrivateKey(byte[] scalar) throws GeneralSecurityException {
    return KeyFactory.getInstance("XDH").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
  }

  /**
   * RFC 7748 section 5: u is 32 bytes little-endian whose top bit is masked. The JDK does not mask it (it reduces a
   * u of 2^255 or more mod p instead), so a share with that bit set would give another secret without this.
   */
  static BigInteger decodeU(byte[] raw) {
    if (raw.length != 32) {
      throw new IllegalArgumentException("an X25519 share is 32 bytes, not " + raw.length);
    }
    byte[] bigEndian = reversed(raw);
    bigEndian[0] &= 0x7f;
    return new BigInteger(1, bigEndian);
  }

  static byte[] x25519(byte[] privateScalar, byte[] peerShare) throws GeneralSecurityException {
    PublicKey peer =
        KeyFactory.getInstance("XDH")
            .generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, decodeU(peerShare)));
    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(x25519PrivateKey(privateScalar));
    agreement.doPhase(peer, true);
    // The JDK already refuses an all-zero result (InvalidKeyException "Point has small order"); section 9.3 asks
    // for the check, so it is kept explicit here rather than left to the provider.
    byte[] shared = agreement.generateSecret();
    if (Arrays.equals(shared, ZEROS)) {
      throw new GeneralSecurityException("X25519 gave the all-zero secret");
    }
    return shared;
  }

  /** Section 9.1: the share is X25519(private, 9), the base point's u-coordinate being 9. */
  static byte[] x25519Public(byte[] privateScalar) throws GeneralSecurityException {
    byte[] nine = new byte[32];
    nine[0] = 9;
    return x25519(privateScalar, nine);
  }

  /**
   * What a Java client holding a generated XECPublicKey sends: getU() as 32 bytes little-endian. The key pair is
   * drawn from a SecureRandom that returns the fixed private key, so that it can be compared with the vectors.
   */
  static byte[] xdhGeneratedShare(byte[] privateScalar) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("XDH");
    generator.initialize(NamedParameterSpec.X25519, new FixedRandom(privateScalar));
    KeyPair pair = generator.generateKeyPair();
    byte[] scalar = ((XECPrivateKey) pair.getPrivate()).getScalar().orElseThrow();
    if (!Arrays.equals(scalar, privateScalar)) {
      throw new GeneralSecurityException("the JDK's XDH generator did not draw its key from the SecureRandom");
    }
    return littleEndian(((XECPublicKey) pair.getPublic()).getU(), 32);
  }

  static byte[] littleEndian(BigInteger value, int size) {
    byte[] bigEndian = value.toByteArray();
    byte[] out = new byte[size];
    // toByteArray may carry a leading sign byte of 0, or be shorter than size: copy the low bytes only.
    for (int i = 0; i < size && i < bigEndian.length; i++) {
      out[i] = bigEndian[bigEndian.length - 1 - i];
    }
    if (value.bitLength() > size * 8) {
      throw new IllegalArgumentException(value + " does not fit in " + size + " bytes");
    }
    return out;
  }

  static byte[] reversed(byte[] bytes) {
    byte[] out = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[bytes.length - 1 - i];
    }
    return out;
  }

  /** Hands out one fixed value, so that a JDK key pair generator produces a known key. */
  @SuppressWarnings("serial") // SecureRandom is Serializable; this one is never serialized.
  static final class FixedRandom extends SecureRandom {
    private final byte[] value;
    private boolean used;

    FixedRandom(byte[] value) {
      this.value = value.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      if (used || out.length != value.length) {
        throw new IllegalStateException("asked for " + out.length + " bytes; holds one draw of " + value.length);
      }
      used = true;
      System.arraycopy(value, 0, out, 0, out.length);
    }
  }

  // Ed25519 (RFC 8032) on the JDK's EdDSA.

  static PrivateKey ed25519PrivateKey(byte[] seed) throws GeneralSecurityException {
    return KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
  }

  /**
   * JDK 17 cannot derive the public key of an EdECPrivateKey; its generator can, when the seed is what it draws.
   * The check that the generated private key is the seed guards against a provider that draws differently.
   */
  static byte[] ed25519PublicKey(byte[] seed) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    generator.initialize(NamedParameterSpec.ED25519, new FixedRandom(seed));
    KeyPair pair = generator.generateKeyPair();
    byte[] generatedSeed = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
    if (!Arrays.equals(generatedSeed, seed)) {
      throw new GeneralSecurityException("the JDK's Ed25519 generator did not draw its seed from the SecureRandom");
    }
    return encodeEdPoint(((EdECPublicKey) pair.getPublic()).getPoint());
  }

  /** RFC 8032 section 5.1.2: y little-endian, with x's low bit in the top bit of the last byte. */
  static byte[] encodeEdPoint(EdECPoint point) {
    byte[] raw = littleEndian(point.getY(), 32);
    if (point.isXOdd()) {
      raw[31] |= (byte) 0x80;
    }
    return raw;
  }

  /** What a client does with the 32 raw bytes it pins (section 1). */
  static PublicKey ed25519PublicKeyFromRaw(byte[] raw) throws GeneralSecurityException {
    if (raw.length != 32) {
      throw new IllegalArgumentException("an Ed25519 public key is 32 bytes, not " + raw.length);
    }
    boolean xOdd = (raw[31] & 0x80) != 0;
    byte[] bigEndian = reversed(raw);
    bigEndian[0] &= 0x7f;
    EdECPoint point = new EdECPoint(xOdd, new BigInteger(1, bigEndian));
    return KeyFactory.getInstance("Ed25519").generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, point));
  }

  static byte[] sign(PrivateKey key, byte[] message) throws GeneralSecurityException {
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(key);
    signer.update(message);
    return signer.sign();
  }

  static boolean verify(PublicKey key, byte[] signature, byte[] message) throws GeneralSecurityException {
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(key);
    verifier.update(message);
    return verifier.verify(signature);
  }

  // Section 11: the record layer. A Cipher is made per record: the JDK refuses to encrypt twice with one key and
  // nonce on the same instance.

  static byte[] nonce(byte[] iv, long counter) {
    byte[] nonce = iv.clone();
    byte[] n = ByteBuffer.allocate(8).putLong(counter).array();
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] ^= n[i];
    }
    return nonce;
  }

  static byte[] aesGcm(int mode, byte[] key, byte[] nonce, byte[] input, byte[] aad) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(input);
  }

  /** Section 2.4: a whole zlib stream (RFC 1950), inflating to at most limit bytes. */
  static byte[] inflate(byte[] stream, int limit) throws DataFormatException {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(stream);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      while (!inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new DataFormatException("the zlib stream is truncated or needs a dictionary");
        }
        out.write(buffer, 0, n);
        if (out.size() > limit) {
          throw new DataFormatException("inflates beyond " + limit + " bytes");
        }
      }
      return out.toByteArray();
    } finally {
      inflater.end();
    }
  }

  /** Compares computed values with the vectors and remembers which leaves were read or checked. */
  static final class Checker {
    private final Object vectors;
    private final Set<String> seen = new HashSet<>();
    final List<String> failures = new ArrayList<>();
    int checked;

    Checker(Object vectors) {
      this.vectors = vectors;
    }

    /** A value by dotted path, without counting it as seen (for walking lists and reading reply bytes). */
    Object node(String path) {
      Object node = vectors;
      for (String key : path.split("\\.")) {
        if (node instanceof Map<?, ?> map && map.containsKey(key)) {
          node = map.get(key);
        } else if (node instanceof List<?> list && key.matches("\\d+") && Integer.parseInt(key) < list.size()) {
          node = list.get(Integer.parseInt(key));
        } else {
          throw new IllegalArgumentException("the vectors have no " + path);
        }
      }
      return node;
    }

    List<?> list(String path) {
      if (node(path) instanceof List<?> list) {
        return list;
      }
      throw new IllegalArgumentException(path + " is not an array");
    }

    Object input(String path) {
      Object value = node(path);
      seen.add(path);
      return value;
    }

    long longInput(String path) {
      if (input(path) instanceof Long value) {
        return value;
      }
      throw new IllegalArgumentException(path + " is not an integer of 64 bits");
    }

    String stringInput(String path) {
      if (input(path) instanceof String value) {
        return value;
      }
      throw new IllegalArgumentException(path + " is not a string");
    }

    byte[] bytesInput(String path) {
      input(path);
      return bytesNode(path);
    }

    byte[] bytesNode(String path) {
      if (!(node(path) instanceof String hex)) {
        throw new IllegalArgumentException(path + " is not a string");
      }
      try {
        return HEX.parseHex(hex);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(path + " is not hex", e);
      }
    }

    void expect(String path, Object actual) {
      Object expected = input(path);
      Object computed = normalize(actual);
      checked++;
      if (!Objects.equals(computed, expected)) {
        failures.add(path + ": computed " + show(computed) + ", vectors say " + show(expected));
      }
    }

    void require(String what, boolean condition) {
      checked++;
      if (!condition) {
        failures.add(what);
      }
    }

    private static Object normalize(Object value) {
      if (value instanceof byte[] bytes) {
        return HEX.formatHex(bytes);
      }
      if (value instanceof Integer number) {
        return number.longValue();
      }
      return value;
    }

    private static String show(Object value) {
      return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }

    List<String> unseenLeaves() {
      List<String> leaves = new ArrayList<>();
      walk(vectors, "", leaves);
      return leaves;
    }

    private void walk(Object node, String path, List<String> leaves) {
      String prefix = path.isEmpty() ? "" : path + ".";
      if (node instanceof Map<?, ?> map) {
        map.forEach((key, value) -> walk(value, prefix + key, leaves));
      } else if (node instanceof List<?> list) {
        for (int i = 0; i < list.size(); i++) {
          walk(list.get(i), prefix + i, leaves);
        }
      } else if (!seen.contains(path) && !path.equals("about")) {
        leaves.add(path);
      }
    }
  }

  record Settings(
      long heartbeatMin, long heartbeatMax, long sessionTtl, long maxLifetime, long replayWindow, int maxBody) {
    Object negotiate(long cmin, long cmax) {
      return negotiateHeartbeat(cmin, cmax, heartbeatMin, heartbeatMax);
    }
  }

  record Identity(PrivateKey privateKey, byte[] publicKey) {}

  /** Standard base64 (RFC 4648 section 4), not base64url, without padding. */
  static String fingerprint(byte[] publicKey) throws GeneralSecurityException {
    return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(sha256(publicKey));
  }

  static Identity checkServer(Checker c) throws GeneralSecurityException {
    byte[] seed = c.bytesInput("server.identity_seed");
    byte[] publicKey = ed25519PublicKey(seed);
    c.expect("server.identity_public_key", publicKey);
    c.expect("server.fingerprint", fingerprint(publicKey));
    int examples = c.list("server.fingerprint_examples").size();
    for (int i = 0; i < examples; i++) {
      String at = "server.fingerprint_examples." + i + ".";
      byte[] examplePublic = ed25519PublicKey(c.bytesInput(at + "seed"));
      c.expect(at + "public_key", examplePublic);
      c.expect(at + "fingerprint", fingerprint(examplePublic));
    }
    return new Identity(ed25519PrivateKey(seed), publicKey);
  }

  static Settings readSettings(Checker c) {
    long maxBody = c.longInput("server.max_body_bytes");
    return new Settings(
        c.longInput("server.heartbeat_min_ms"),
        c.longInput("server.heartbeat_max_ms"),
        c.longInput("server.session_ttl_ms"),
        c.longInput("server.session_max_lifetime_ms"),
        c.longInput("server.replay_window_ms"),
        Math.toIntExact(maxBody));
  }

  static void checkHeartbeats(Checker c, Settings s) {
    List<?> cases = c.list("heartbeat_negotiation");
    for (int i = 0; i < cases.size(); i++) {
      String p = "heartbeat_negotiation." + i + ".";
      Object result = s.negotiate(c.longInput(p + "client_min_ms"), c.longInput(p + "client_max_ms"));
      String key = ((Map<?, ?>) cases.get(i)).containsKey("error") ? "error" : "heartbeat_ms";
      c.expect(p + key, result);
    }
  }

  /** Section 5.1's example: cmd 99 with seq 7 and an empty body, before any session. */
  static void checkFrames(Checker c) throws InvalidProtocolBufferException {
    int requestCmd = 99;
    long requestSeq = 7;
    c.require("a heartbeat is the byte 0xDF", "df".equals(c.input("frames.heartbeat.request")));
    c.expect("frames.heartbeat.reply", new byte[] {(byte) 0xDF});
    c.expect("frames.unsupported_command.request_frame", frame(requestCmd, 0, requestSeq, new byte[0]));
    // Command is an enum without 99, so the number goes through the *Value accessors (proto3 open enums).
    byte[] body =
        ErrorReply.newBuilder()
            .setCommandValue(requestCmd)
            .setCode(ErrorCode.ERROR_CODE_UNSUPPORTED_CMD)
            .setReason(c.stringInput("frames.unsupported_command.reply.reason"))
            .build()
            .toByteArray();
    byte[] replyFrame = frame(Command.COMMAND_ERROR_VALUE, 0, requestSeq, body);
    c.expect("frames.unsupported_command.reply_frame", replyFrame);

    Frame reply = Frame.parse(replyFrame);
    ErrorReply decoded = ErrorReply.parseFrom(reply.body());
    c.expect("frames.unsupported_command.reply.cmd", reply.cmd());
    c.expect("frames.unsupported_command.reply.seq", reply.seq());
    c.expect("frames.unsupported_command.reply.command", decoded.getCommandValue());
    c.expect("frames.unsupported_command.reply.code", decoded.getCodeValue());
  }

  /** The negotiated interval as a uint32 field, or an error when the section's inputs are refused. */
  static int negotiated(String section, Object heartbeat) {
    if (heartbeat instanceof Long interval) {
      return uint32(interval);
    }
    throw new IllegalArgumentException(section + ".inputs: the heartbeat bounds are refused with " + heartbeat);
  }

  static ByteString bytes(byte[] value) {
    return ByteString.copyFrom(value);
  }

  static Schedule checkHandshake(Checker c, Identity identity, Settings s)
      throws GeneralSecurityException, InvalidProtocolBufferException {
    String p = "handshake.inputs.";
    byte[] clientPrivate = c.bytesInput(p + "client_ephemeral_private");
    byte[] serverPrivate = c.bytesInput(p + "server_ephemeral_private");
    byte[] clientShare = x25519Public(clientPrivate);
    byte[] serverShare = x25519Public(serverPrivate);
    c.expect("handshake.client_share", clientShare);
    c.expect("handshake.server_share", serverShare);
    c.require(
        "a generated XECPublicKey's getU() encodes to the same share",
        Arrays.equals(xdhGeneratedShare(clientPrivate), clientShare));
    long minHb = c.longInput(p + "min_heartbeat_ms");
    long maxHb = c.longInput(p + "max_heartbeat_ms");
    long seq = c.longInput(p + "seq");

    // 9.1: the request.
    byte[] requestBody =
        HandshakeRequest.newBuilder()
            .setDeviceId(c.stringInput(p + "device_id"))
            .setOsName(c.stringInput(p + "os_name"))
            .setOsVersion(c.stringInput(p + "os_version"))
            .setClientVersion(c.stringInput(p + "client_version"))
            .setMinHeartbeatMs(uint32(minHb))
            .setMaxHeartbeatMs(uint32(maxHb))
            .setClientNonce(bytes(c.bytesInput(p + "client_nonce")))
            .setClientShare(bytes(clientShare))
            .build()
            .toByteArray();
    c.expect("handshake.request_body", requestBody);
    c.expect("handshake.request_frame", frame(Command.COMMAND_HANDSHAKE_VALUE, 0, seq, requestBody));

    // 9.2: the server.
    Object heartbeat = s.negotiate(minHb, maxHb);
    c.expect("handshake.heartbeat_ms", heartbeat);
    int heartbeatMs = negotiated("handshake", heartbeat);
    long now = c.longInput(p + "server_time_ms");
    long expires = Math.min(now + s.sessionTtl(), now + s.maxLifetime());
    c.expect("handshake.expires_at_ms", expires);
    byte[] shared = x25519(serverPrivate, clientShare);
    c.expect("handshake.shared_secret", shared);
    byte[] serverHello =
        HandshakeServerHello.newBuilder()
            .setServerNonce(bytes(c.bytesInput(p + "server_nonce")))
            .setServerShare(bytes(serverShare))
            .setSessionId(c.stringInput(p + "session_id"))
            .setExpiresAtMs(expires)
            .setHeartbeatMs(heartbeatMs)
            .setServerTimeMs(now)
            .build()
            .toByteArray();
    c.expect("handshake.server_hello", serverHello);
    byte[] th = transcriptHash(requestBody, serverHello);
    c.expect("handshake.transcript_hash", th);
    byte[] signatureInput = signatureInput(th);
    c.require("signature input is 51 bytes", signatureInput.length == 51);
    c.expect("handshake.signature_input", signatureInput);
    byte[] signature = sign(identity.privateKey(), signatureInput);
    c.expect("handshake.signature", signature);
    byte[] replyBody =
        HandshakeOk.newBuilder()
            .setServerHello(bytes(serverHello))
            .setSignature(bytes(signature))
            .build()
            .toByteArray();
    c.expect("handshake.reply_body", replyBody);
    c.expect("handshake.reply_frame", frame(Command.COMMAND_HANDSHAKE_VALUE, 0, seq, replyBody));

    // 9.3: the client, from the reply bytes of the vectors and the 32 raw bytes it pins (section 1).
    HandshakeOk ok = HandshakeOk.parseFrom(c.bytesNode("handshake.reply_body"));
    PublicKey pinned = ed25519PublicKeyFromRaw(c.bytesNode("server.identity_public_key"));
    c.require(
        "the pinned key is the identity's",
        Arrays.equals(encodeEdPoint(((EdECPublicKey) pinned).getPoint()), identity.publicKey()));
    byte[] receivedHello = ok.getServerHello().toByteArray();
    c.require(
        "the client verifies the handshake signature with the pinned key",
        verify(pinned, ok.getSignature().toByteArray(), signatureInput(transcriptHash(requestBody, receivedHello))));
    HandshakeServerHello hello = HandshakeServerHello.parseFrom(receivedHello);
    byte[] clientShared = x25519(clientPrivate, hello.getServerShare().toByteArray());
    c.require("both sides compute the same X25519 secret", Arrays.equals(clientShared, shared));

    byte[] handshakeSecret = hkdfExtract(ZEROS, shared);
    c.expect("handshake.handshake_secret", handshakeSecret);
    return checkSchedule(c, "handshake", handshakeSecret, th);
  }

  static byte[] signatureInput(byte[] th) {
    return concat("mpush/v1 handshake".getBytes(StandardCharsets.US_ASCII), new byte[] {0}, th);
  }

  /** A connection's keys by direction, and the session secret to resume it with. */
  record Schedule(Map<String, TrafficKeys> keys, byte[] sessionSecret) {}

  /** The part of the key schedule HANDSHAKE and FAST_CONNECT share (9.2 step 5, 10.3 step 2). */
  static Schedule checkSchedule(Checker c, String section, byte[] secret, byte[] th) throws GeneralSecurityException {
    byte[] clientTraffic = deriveSecret(secret, "c ap traffic", th);
    byte[] serverTraffic = deriveSecret(secret, "s ap traffic", th);
    c.expect(section + ".client_traffic_secret", clientTraffic);
    c.expect(section + ".server_traffic_secret", serverTraffic);
    TrafficKeys clientToServer = trafficKeys(clientTraffic);
    TrafficKeys serverToClient = trafficKeys(serverTraffic);
    c.expect(section + ".client_to_server.key", clientToServer.key());
    c.expect(section + ".client_to_server.iv", clientToServer.iv());
    c.expect(section + ".server_to_client.key", serverToClient.key());
    c.expect(section + ".server_to_client.iv", serverToClient.iv());
    byte[] sessionSecret = deriveSecret(secret, "res master", th);
    c.expect(section + ".session_secret", sessionSecret);
    return new Schedule(Map.of("client_to_server", clientToServer, "server_to_client", serverToClient), sessionSecret);
  }

  static Schedule checkFastConnect(Checker c, Settings s, byte[] handshakeSessionSecret)
      throws GeneralSecurityException, InvalidProtocolBufferException {
    String p = "fast_connect.inputs.";
    byte[] secret = c.bytesInput(p + "session_secret");
    c.require("FAST_CONNECT resumes the handshake's session secret", Arrays.equals(secret, handshakeSessionSecret));
    c.require(
        "FAST_CONNECT presents the handshake's session id",
        c.stringInput(p + "session_id").equals(c.stringInput("handshake.inputs.session_id")));
    long minHb = c.longInput(p + "min_heartbeat_ms");
    long maxHb = c.longInput(p + "max_heartbeat_ms");
    long seq = c.longInput(p + "seq");
    long timestamp = c.longInput(p + "timestamp_ms");

    // 10.1: hello and binder.
    byte[] hello =
        FastConnectHello.newBuilder()
            .setSessionId(c.stringInput(p + "session_id"))
            .setDeviceId(c.stringInput(p + "device_id"))
            .setMinHeartbeatMs(uint32(minHb))
            .setMaxHeartbeatMs(uint32(maxHb))
            .setClientNonce(bytes(c.bytesInput(p + "client_nonce")))
            .setTimestampMs(timestamp)
            .build()
            .toByteArray();
    c.expect("fast_connect.hello", hello);
    byte[] early = hkdfExtract(ZEROS, secret);
    c.expect("fast_connect.early_secret", early);
    byte[] binderKey = deriveSecret(early, "res binder", sha256(new byte[0]));
    c.expect("fast_connect.binder_key", binderKey);
    byte[] binder = hmacSha256(binderKey, sha256(hello));
    c.expect("fast_connect.binder", binder);
    byte[] requestBody =
        FastConnectRequest.newBuilder().setHello(bytes(hello)).setBinder(bytes(binder)).build().toByteArray();
    c.expect("fast_connect.request_body", requestBody);
    c.expect("fast_connect.request_frame", frame(Command.COMMAND_FAST_CONNECT_VALUE, 0, seq, requestBody));

    // 10.3: the server's checks that the vectors pass, then its reply.
    c.require("the binder verifies", MessageDigest.isEqual(binder, hmacSha256(binderKey, sha256(hello))));
    c.require(
        "the device is the session's",
        c.stringInput(p + "device_id").equals(c.stringInput("handshake.inputs.device_id")));
    long now = c.longInput(p + "server_time_ms");
    c.require("the timestamp is inside the replay window", Math.abs(now - timestamp) <= s.replayWindow());
    Object heartbeat = s.negotiate(minHb, maxHb);
    c.expect("fast_connect.heartbeat_ms", heartbeat);
    int heartbeatMs = negotiated("fast_connect", heartbeat);
    long created = c.longInput(p + "session_created_at_ms");
    c.require("the session was created by the handshake", created == c.longInput("handshake.inputs.server_time_ms"));
    long expires = Math.min(now + s.sessionTtl(), created + s.maxLifetime());
    c.require("the chain is still alive", expires > now);
    c.expect("fast_connect.expires_at_ms", expires);
    byte[] serverHello =
        FastConnectServerHello.newBuilder()
            .setServerNonce(bytes(c.bytesInput(p + "server_nonce")))
            .setSessionId(c.stringInput(p + "new_session_id"))
            .setExpiresAtMs(expires)
            .setHeartbeatMs(heartbeatMs)
            .setServerTimeMs(now)
            .build()
            .toByteArray();
    c.expect("fast_connect.server_hello", serverHello);
    byte[] th = transcriptHash(hello, serverHello);
    c.expect("fast_connect.transcript_hash", th);
    byte[] finished = deriveSecret(early, "s finished", th);
    c.expect("fast_connect.finished", finished);
    byte[] replyBody =
        FastConnectOk.newBuilder()
            .setServerHello(bytes(serverHello))
            .setFinished(bytes(finished))
            .build()
            .toByteArray();
    c.expect("fast_connect.reply_body", replyBody);
    c.expect("fast_connect.reply_frame", frame(Command.COMMAND_FAST_CONNECT_VALUE, 0, seq, replyBody));

    // 10.4: the client checks finished from the reply bytes of the vectors.
    FastConnectOk ok = FastConnectOk.parseFrom(c.bytesNode("fast_connect.reply_body"));
    byte[] expected = deriveSecret(early, "s finished", transcriptHash(hello, ok.getServerHello().toByteArray()));
    c.require("the client verifies finished", MessageDigest.isEqual(ok.getFinished().toByteArray(), expected));
    Schedule rotated = checkSchedule(c, "fast_connect", early, th);
    c.require("rotation gives a new secret", !Arrays.equals(rotated.sessionSecret(), secret));
    return rotated;
  }

  static void checkRecords(Checker c, Map<String, Map<String, TrafficKeys>> keysByConnection, int maxBody)
      throws GeneralSecurityException {
    Map<String, Long> counters = new HashMap<>();
    int count = c.list("records").size();
    for (int i = 0; i < count; i++) {
      String r = "records." + i + ".";
      String connection = c.stringInput(r + "connection");
      String direction = c.stringInput(r + "direction");
      TrafficKeys keys = keysByConnection.getOrDefault(connection, Map.of()).get(direction);
      if (keys == null) {
        throw new IllegalArgumentException(r + "connection/direction: no keys for " + connection + " " + direction);
      }
      long counter = c.longInput(r + "counter");
      long expectedCounter = counters.getOrDefault(connection + " " + direction, 0L);
      c.require(r + "counter runs on from 0 per connection and direction", counter == expectedCounter);
      counters.put(connection + " " + direction, expectedCounter + 1);

      int cmd = Math.toIntExact(c.longInput(r + "cmd"));
      int flags = Math.toIntExact(c.longInput(r + "flags"));
      long seq = c.longInput(r + "seq");
      c.require(r + "flags has ENCRYPTED (0x01)", (flags & 0x01) == 0x01);
      c.require(r + "flags has no reserved bit", (flags & 0xF0) == 0);
      byte[] plaintext = c.bytesInput(r + "plaintext");
      byte[] body = plaintext;
      if ((flags & 0x02) != 0) {
        body = c.bytesInput(r + "deflated");
        c.require(r + "deflated inflates (RFC 1950) to the plaintext", inflatesTo(body, maxBody, plaintext));
      }
      c.require(r + "sealed body fits the limit", body.length + TAG_BYTES <= maxBody);

      byte[] nonce = nonce(keys.iv(), counter);
      c.expect(r + "nonce", nonce);
      byte[] aad = header(body.length + TAG_BYTES, cmd, flags, seq);
      c.expect(r + "aad", aad);
      c.expect(r + "frame", concat(aad, aesGcm(Cipher.ENCRYPT_MODE, keys.key(), nonce, body, aad)));
      c.require(r + "frame opens", opens(c.bytesNode(r + "frame"), keys.key(), nonce, body));
    }
  }

  static boolean inflatesTo(byte[] stream, int limit, byte[] expected) {
    try {
      return Arrays.equals(inflate(stream, limit), expected);
    } catch (DataFormatException e) {
      return false;
    }
  }

  /** Section 11.2: the AAD is rebuilt from the received header, with cc and lrc taken as 0. */
  static boolean opens(byte[] received, byte[] key, byte[] nonce, byte[] expectedBody) throws GeneralSecurityException {
    Frame frame = Frame.parse(received);
    byte[] aad = header(frame.length(), frame.cmd(), frame.flags(), frame.seq());
    try {
      return Arrays.equals(aesGcm(Cipher.DECRYPT_MODE, key, nonce, frame.body(), aad), expectedBody);
    } catch (AEADBadTagException e) {
      return false;
    }
  }

  static int run(Path path) throws IOException, GeneralSecurityException {
    Checker c = new Checker(Json.parse(Files.readString(path, StandardCharsets.UTF_8)));
    c.require(
        "HkdfLabel example of section 8",
        HEX.formatHex(hkdfLabel("key", new byte[0], 16)).equals("00100a6d7075736831206b657900"));
    Identity identity = checkServer(c);
    Settings settings = readSettings(c);
    checkHeartbeats(c, settings);
    checkFrames(c);
    Schedule handshake = checkHandshake(c, identity, settings);
    Schedule fastConnect = checkFastConnect(c, settings, handshake.sessionSecret());
    checkRecords(c, Map.of("handshake", handshake.keys(), "fast_connect", fastConnect.keys()), settings.maxBody());

    for (String leaf : c.unseenLeaves()) {
      c.failures.add(leaf + ": in the vectors but not checked");
    }
    if (!c.failures.isEmpty()) {
      for (String failure : c.failures) {
        System.err.println("MISMATCH " + failure);
      }
      System.err.println("CheckVectors: " + c.failures.size() + " problem(s) in " + path);
      return 1;
    }
    System.out.println("CheckVectors: " + c.checked + " checks passed, every vector covered (" + path + ")");
    return 0;
  }

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: CheckVectors docs/test-vectors.json");
      System.exit(2);
    }
    Path path = Path.of(args[0]);
    try {
      System.exit(run(path));
    } catch (NoSuchAlgorithmException e) {
      System.err.println("CheckVectors: this JDK lacks an algorithm the protocol needs (Java 17 has them all): " + e);
      System.exit(2);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      System.err.println("CheckVectors: cannot check " + path + ":");
      e.printStackTrace();
      System.exit(1);
    }
  }
}
