/**
 * The loopback DC's RSA key. GramJS only starts a DH key exchange with a server whose fingerprint it finds in
 * `telegram/crypto/RSA`'s `_serverKeys` map, so the peer generates its own 2048-bit key once per process and
 * registers the public half there, exactly as GramJS holds Telegram's production keys. Nothing else changes in the
 * client: `Authenticator.doAuthentication` then encrypts its `p_q_inner_data` to this key (RSA_PAD) as it would to
 * Telegram's.
 */
import { constants, createHash, generateKeyPairSync, privateDecrypt, type KeyObject } from "node:crypto";
import { _serverKeys } from "telegram/crypto/RSA";
import { BinaryReader } from "telegram/extensions";
import { readBigIntFromBuffer } from "telegram/Helpers";
import { serializeBytes } from "telegram/tl";

export interface TestRsaKey {
  /** Signed 64-bit fingerprint as Telegram computes it (lower 64 bits of SHA1 of the TL-serialized public key). */
  readonly fingerprint: ReturnType<typeof readBigIntFromBuffer>;
  /** Raw RSA (no padding) with the private key: what a DC does with `req_DH_params.encrypted_data`. */
  decrypt(data: Buffer): Buffer;
}

let shared: TestRsaKey | undefined;

/** The process's test key, registered with GramJS on first use. Key generation costs ~100 ms, so it happens once. */
export function testRsaKey(): TestRsaKey {
  if (shared) return shared;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicExponent: 65537,
  });
  const jwk = publicKey.export({ format: "jwk" });
  if (!jwk.n) throw new Error("RSA key without modulus");
  const n = Buffer.from(jwk.n, "base64url");
  const e = Buffer.from([0x01, 0x00, 0x01]);
  // rsa_public_key n:string e:string = RSAPublicKey; bare (no constructor id), as core.telegram.org/mtproto/auth_key says.
  const sha1 = createHash("sha1")
    .update(Buffer.concat([serializeBytes(n), serializeBytes(e)]))
    .digest();
  const fingerprint = new BinaryReader(sha1.subarray(12, 20)).readLong();
  _serverKeys.set(fingerprint.toString(), { n: readBigIntFromBuffer(n, false, false), e: 65537 });
  shared = { fingerprint, decrypt: (data) => rawDecrypt(privateKey, data) };
  return shared;
}

function rawDecrypt(privateKey: KeyObject, data: Buffer): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, data);
}
