/**
 * The bytes on the wire between GramJS and the loopback DC, server side.
 *
 * Transport: GramJS's default `ConnectionTCPFull` (`telegram/network/connection/TCPFull.js`): no init tag, every
 * packet is `length:int32 seq:int32 payload crc32:uint32`, length counting all four parts.
 * Messages: MTProto 2.0 (core.telegram.org/mtproto/description). Plain messages during the key exchange,
 * AES-256-IGE encrypted ones after it, with msg_key = middle 128 bits of SHA256(auth_key[88+x..] + plaintext)
 * (x = 0 from the client, 8 from the server). The derivation is written here from the spec rather than borrowed from
 * GramJS's `MTProtoState`, so that a test talking to the peer cross-checks GramJS's implementation; the block cipher
 * itself is GramJS's `IGE`.
 */
import { createHash, randomBytes } from "node:crypto";
import { gzipSync, gunzipSync } from "node:zlib";
import { IGE } from "telegram/crypto/IGE";
import { crc32 } from "telegram/Helpers";
import { serializeBytes } from "telegram/tl";

export const TRANSPORT_ERROR_AUTH_KEY_NOT_FOUND = -404;

const MSG_CONTAINER = 0x73f1f8dc;
const GZIP_PACKED = 0x3072cfa1;
const RPC_RESULT = 0xf35c6d01;

/** Splits a TCP byte stream into TCPFull payloads. */
export class FullFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes in; returns every complete payload. Throws on a bad length or checksum (the caller drops the link). */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const packets: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32LE(0);
      if (length < 12 || length > 16 * 1024 * 1024) throw new Error(`bad TCPFull length ${length}`);
      if (this.pending.length < length) break;
      const frame = this.pending.subarray(0, length);
      this.pending = this.pending.subarray(length);
      const checksum = frame.readUInt32LE(length - 4);
      if (crc32(frame.subarray(0, length - 4)) !== checksum) throw new Error("bad TCPFull checksum");
      packets.push(Buffer.from(frame.subarray(8, length - 4)));
    }
    return packets;
  }
}

/** Frames one payload; `seq` is the server's own packet counter on this connection. */
export function encodeFullFrame(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32LE(payload.length + 12, 0);
  head.writeInt32LE(seq, 4);
  const body = Buffer.concat([head, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([body, crc]);
}

/** A transport error such as -404 is a bare 4-byte payload instead of a message. */
export function transportError(code: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(code, 0);
  return b;
}

/**
 * Server message ids: time-based, strictly increasing across the whole peer, ≡ 1 (mod 4) for responses and
 * ≡ 3 for messages the server sends on its own, as the spec asks of a server.
 */
export class ServerMsgIds {
  private last = 0n;

  next(isResponse: boolean): bigint {
    const now = Date.now();
    let id = (BigInt(Math.floor(now / 1000)) << 32n) | ((BigInt(now % 1000) << 32n) / 1000n);
    id &= ~3n;
    if (id <= this.last) id = this.last + 4n;
    this.last = id;
    return id | (isResponse ? 1n : 3n);
  }
}

export function longBytes(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, value), 0);
  return b;
}

/** A TL constructor id: unsigned, unlike the ints around it. */
function ctorBytes(id: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(id, 0);
  return b;
}

export function intBytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}

/** An unencrypted message (auth_key_id = 0), used only by the key exchange. */
export function encodePlainMessage(msgId: bigint, body: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(8), longBytes(msgId), intBytes(body.length), body]);
}

export interface PlainMessage {
  readonly msgId: bigint;
  readonly body: Buffer;
}

export function decodePlainMessage(payload: Buffer): PlainMessage {
  const length = payload.readInt32LE(16);
  return { msgId: payload.readBigInt64LE(8), body: payload.subarray(20, 20 + length) };
}

/** The auth_key_id of a key: the lower 64 bits of SHA1(auth_key), as its 8 wire bytes in hex. */
export function authKeyId(key: Buffer): string {
  return createHash("sha1").update(key).digest().subarray(12, 20).toString("hex");
}

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** MTProto 2.0 AES key and IV from auth_key and msg_key; x = 0 for client→server, 8 for server→client. */
function aesKeyIv(authKey: Buffer, msgKey: Buffer, x: 0 | 8): { key: Buffer; iv: Buffer } {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
    iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]),
  };
}

export interface ClientEnvelope {
  readonly salt: bigint;
  readonly sessionId: bigint;
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/** Decrypts a client's message; undefined when msg_key does not match (a wrong key or a corrupted packet). */
export function decryptClientMessage(authKey: Buffer, payload: Buffer): ClientEnvelope | undefined {
  const msgKey = payload.subarray(8, 24);
  const encrypted = payload.subarray(24);
  if (encrypted.length === 0 || encrypted.length % 16 !== 0) return undefined;
  const { key, iv } = aesKeyIv(authKey, msgKey, 0);
  const plain = new IGE(key, iv).decryptIge(encrypted);
  if (!sha256(authKey.subarray(88, 120), plain).subarray(8, 24).equals(msgKey)) return undefined;
  const length = plain.readInt32LE(28);
  if (length < 0 || 32 + length > plain.length) return undefined;
  return {
    salt: plain.readBigInt64LE(0),
    sessionId: plain.readBigInt64LE(8),
    msgId: plain.readBigInt64LE(16),
    seqNo: plain.readInt32LE(24),
    body: plain.subarray(32, 32 + length),
  };
}

/** Encrypts one server message (which may be a container) for the client. */
export function encryptServerMessage(
  authKey: Buffer,
  keyId: Buffer,
  envelope: { salt: bigint; sessionId: bigint; msgId: bigint; seqNo: number; body: Buffer },
): Buffer {
  const header = Buffer.concat([
    longBytes(envelope.salt),
    longBytes(envelope.sessionId),
    longBytes(envelope.msgId),
    intBytes(envelope.seqNo),
    intBytes(envelope.body.length),
  ]);
  const unpadded = header.length + envelope.body.length;
  // 12..1024 bytes of padding, total a multiple of 16 (MTProto 2.0); the minimum keeps the peer cheap.
  const padding = randomBytes(12 + ((16 - ((unpadded + 12) % 16)) % 16));
  const plain = Buffer.concat([header, envelope.body, padding]);
  const msgKey = sha256(authKey.subarray(96, 128), plain).subarray(8, 24);
  const { key, iv } = aesKeyIv(authKey, msgKey, 8);
  return Buffer.concat([keyId, msgKey, new IGE(key, iv).encryptIge(plain)]);
}

export interface InnerMessage {
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/** Flattens a client message: a msg_container becomes its messages, gzip_packed bodies are unpacked. */
export function unpackClientMessage(msgId: bigint, seqNo: number, body: Buffer): InnerMessage[] {
  const constructorId = body.readUInt32LE(0);
  if (constructorId === MSG_CONTAINER) {
    const out: InnerMessage[] = [];
    const count = body.readInt32LE(4);
    let offset = 8;
    for (let i = 0; i < count; i++) {
      const innerId = body.readBigInt64LE(offset);
      const innerSeq = body.readInt32LE(offset + 8);
      const length = body.readInt32LE(offset + 12);
      const inner = body.subarray(offset + 16, offset + 16 + length);
      offset += 16 + length;
      out.push(...unpackClientMessage(innerId, innerSeq, inner));
    }
    return out;
  }
  if (constructorId === GZIP_PACKED) {
    return [{ msgId, seqNo, body: gunzipSync(readTlBytes(body, 4)) }];
  }
  return [{ msgId, seqNo, body }];
}

/** Reads a TL `bytes` value at `offset`. */
function readTlBytes(buffer: Buffer, offset: number): Buffer {
  const first = buffer.readUInt8(offset);
  if (first < 254) return buffer.subarray(offset + 1, offset + 1 + first);
  const length = buffer.readUIntLE(offset + 1, 3);
  return buffer.subarray(offset + 4, offset + 4 + length);
}

/** A container of several server messages (msg_container#73f1f8dc). */
export function encodeContainer(messages: readonly InnerMessage[]): Buffer {
  const parts: Buffer[] = [ctorBytes(MSG_CONTAINER), intBytes(messages.length)];
  for (const m of messages)
    parts.push(longBytes(m.msgId), intBytes(m.seqNo), intBytes(m.body.length), m.body);
  return Buffer.concat(parts);
}

/**
 * Results above this size travel gzip_packed. Telegram's help.Config runs to kilobytes and arrives packed; the
 * peer's is ~200 bytes (and barely compresses), so the threshold is low and packing unconditional: every connect
 * then exercises the client's gunzip path, while a getMe answer (~60 bytes) stays plain.
 */
const GZIP_THRESHOLD = 128;

/** rpc_result#f35c6d01 req_msg_id:long result:Object, the result gzip_packed above the threshold. */
export function encodeRpcResult(reqMsgId: bigint, result: Buffer): Buffer {
  const body =
    result.length > GZIP_THRESHOLD
      ? Buffer.concat([ctorBytes(GZIP_PACKED), serializeBytes(gzipSync(result))])
      : result;
  return Buffer.concat([ctorBytes(RPC_RESULT), longBytes(reqMsgId), body]);
}

export function isGzipPackedResult(message: Buffer): boolean {
  return (
    message.length >= 16 && message.readUInt32LE(0) === RPC_RESULT && message.readUInt32LE(12) === GZIP_PACKED
  );
}
