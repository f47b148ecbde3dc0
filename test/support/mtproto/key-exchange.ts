/**
 * The server half of MTProto's DH key exchange (core.telegram.org/mtproto/auth_key), one instance per TCP
 * connection, answering GramJS's `Authenticator.doAuthentication`: req_pq_multi → resPQ, req_DH_params (RSA_PAD
 * encrypted p_q_inner_data) → server_DH_params_ok, set_client_DH_params → dh_gen_ok. All objects are GramJS's own
 * `Api.*` classes, so a schema change in GramJS shows up here as a failing test.
 */
import { createHash, randomBytes } from "node:crypto";
import { Api } from "telegram";
import { AuthKey } from "telegram/crypto/AuthKey";
import { IGE } from "telegram/crypto/IGE";
import { BinaryReader } from "telegram/extensions";
import {
  generateKeyDataFromNonce,
  getByteArray,
  readBigIntFromBuffer,
  returnBigInt,
  toSignedLittleBuffer,
} from "telegram/Helpers";
import { TELEGRAM_G, TELEGRAM_PRIME, TELEGRAM_PRIME_BYTES, modPow, toBigInt, toBytes } from "./math";
import { testRsaKey } from "./test-rsa-key";

/**
 * pq is fixed (the example from Telegram's own documentation): GramJS factorizes it with Pollard's rho in a few
 * milliseconds, and a random one would only cost the peer time without testing anything more.
 */
const PQ = 0x17ed48941a08f981n;
const P = 1229739323n;
const Q = 1402015859n;

type Long = ReturnType<typeof returnBigInt>;

export interface NewAuthKey {
  readonly key: Buffer;
  /** new_nonce[0..8] XOR server_nonce[0..8]: the first server salt the spec gives a new key. */
  readonly salt: bigint;
}

export class KeyExchange {
  private nonce: Long | undefined;
  private serverNonce: Long | undefined;
  private newNonce: Long | undefined;
  private a: bigint | undefined;

  /** Answers one plain request; `done` carries the new key once the exchange completed. */
  async answer(request: unknown): Promise<{ response: { getBytes(): Buffer }; done?: NewAuthKey }> {
    if (request instanceof Api.ReqPqMulti || request instanceof Api.ReqPq)
      return { response: this.resPq(request) };
    if (request instanceof Api.ReqDHParams) return { response: await this.serverDhParams(request) };
    if (request instanceof Api.SetClientDHParams) return this.dhGen(request);
    throw new Error(`unexpected plain message ${describe(request)}`);
  }

  private resPq(request: Api.ReqPqMulti | Api.ReqPq): Api.ResPQ {
    this.nonce = request.nonce;
    this.serverNonce = readBigIntFromBuffer(randomBytes(16), true, true);
    return new Api.ResPQ({
      nonce: request.nonce,
      serverNonce: this.serverNonce,
      pq: toBytes(PQ, 8),
      serverPublicKeyFingerprints: [testRsaKey().fingerprint],
    });
  }

  private async serverDhParams(request: Api.ReqDHParams): Promise<Api.ServerDHParamsOk> {
    const { nonce, serverNonce } = this.checkNonces(request);
    if (!request.publicKeyFingerprint.eq(testRsaKey().fingerprint))
      throw new Error("unknown RSA fingerprint");
    if (toBigInt(request.p) !== P || toBigInt(request.q) !== Q) throw new Error("wrong factorization of pq");
    // RSA_PAD, undone: key_aes_encrypted = temp_key_xor(32) + aes_encrypted(224).
    const keyAesEncrypted = testRsaKey().decrypt(request.encryptedData);
    const aesEncrypted = keyAesEncrypted.subarray(32);
    const tempKey = xor(keyAesEncrypted.subarray(0, 32), sha256(aesEncrypted));
    const dataWithHash = new IGE(tempKey, Buffer.alloc(32)).decryptIge(aesEncrypted);
    const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse();
    if (!sha256(Buffer.concat([tempKey, dataWithPadding])).equals(dataWithHash.subarray(192, 224))) {
      throw new Error("RSA_PAD hash mismatch");
    }
    const inner = new BinaryReader(dataWithPadding).tgReadObject();
    if (!(inner instanceof Api.PQInnerData) && !(inner instanceof Api.PQInnerDataDc)) {
      throw new Error(`p_q_inner_data expected, got ${describe(inner)}`);
    }
    if (!inner.nonce.eq(nonce) || !inner.serverNonce.eq(serverNonce))
      throw new Error("nonce mismatch in inner data");
    this.newNonce = inner.newNonce;
    this.a = toBigInt(randomBytes(256));
    const answer = new Api.ServerDHInnerData({
      nonce,
      serverNonce,
      g: TELEGRAM_G,
      dhPrime: TELEGRAM_PRIME_BYTES,
      gA: toBytes(modPow(BigInt(TELEGRAM_G), this.a, TELEGRAM_PRIME), 256),
      serverTime: Math.floor(Date.now() / 1000),
    }).getBytes();
    const { key, iv } = await generateKeyDataFromNonce(serverNonce, inner.newNonce);
    const answerWithHash = Buffer.concat([sha1(answer), answer]);
    return new Api.ServerDHParamsOk({
      nonce,
      serverNonce,
      encryptedAnswer: new IGE(key, iv).encryptIge(answerWithHash),
    });
  }

  private async dhGen(request: Api.SetClientDHParams): Promise<{ response: Api.DhGenOk; done: NewAuthKey }> {
    const { nonce, serverNonce } = this.checkNonces(request);
    if (this.newNonce === undefined || this.a === undefined)
      throw new Error("set_client_DH_params out of order");
    const { key, iv } = await generateKeyDataFromNonce(serverNonce, this.newNonce);
    const plain = new IGE(key, iv).decryptIge(request.encryptedData);
    const inner = new BinaryReader(plain.subarray(20)).tgReadObject();
    if (!(inner instanceof Api.ClientDHInnerData)) throw new Error(`client_DH_inner_data expected`);
    if (!sha1(inner.getBytes()).equals(plain.subarray(0, 20)))
      throw new Error("client_DH_inner_data hash mismatch");
    const gab = modPow(toBigInt(inner.gB), this.a, TELEGRAM_PRIME);
    // Exactly as GramJS turns g^ab into key bytes (minimal big-endian), or the two sides would disagree on a key
    // whose top byte is zero.
    const authKeyBytes = getByteArray(returnBigInt(gab));
    const authKey = new AuthKey();
    await authKey.setKey(authKeyBytes);
    const newNonceHash1 = await authKey.calcNewNonceHash(this.newNonce, 1);
    const newNonceLe = toSignedLittleBuffer(this.newNonce, 32);
    const serverNonceLe = toSignedLittleBuffer(serverNonce, 16);
    const salt = xor(newNonceLe.subarray(0, 8), serverNonceLe.subarray(0, 8)).readBigInt64LE(0);
    return {
      response: new Api.DhGenOk({ nonce, serverNonce, newNonceHash1 }),
      done: { key: authKeyBytes, salt },
    };
  }

  private checkNonces(request: { nonce: Long; serverNonce: Long }): { nonce: Long; serverNonce: Long } {
    if (!this.nonce || !this.serverNonce) throw new Error("key exchange step out of order");
    if (!request.nonce.eq(this.nonce) || !request.serverNonce.eq(this.serverNonce))
      throw new Error("nonce mismatch");
    return { nonce: this.nonce, serverNonce: this.serverNonce };
  }
}

function sha1(data: Buffer): Buffer {
  return createHash("sha1").update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

function describe(value: unknown): string {
  return (value as { className?: string } | null)?.className ?? typeof value;
}
