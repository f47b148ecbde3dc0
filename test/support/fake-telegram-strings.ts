/**
 * Session strings as Telethon and Pyrogram write them (their `StringSession.save()` / `export_session_string()`
 * layouts, byte for byte), for testing the import of sessions made by other tools.
 */

/** Telethon: "1" + urlsafe_b64encode(struct ">B4sH256s"), padding kept: 353 characters. */
export function telethonString(dcId: number, ipv4: string, port: number, authKey: Buffer): string {
  const head = Buffer.alloc(7);
  head.writeUInt8(dcId, 0);
  ipv4.split(".").forEach((part, i) => head.writeUInt8(Number(part), 1 + i));
  head.writeUInt16BE(port, 5);
  const b64 = Buffer.concat([head, authKey]).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
  return `1${b64}`;
}

/** Pyrogram 2: urlsafe_b64encode(struct ">BI?256sQ?").rstrip("="): 362 characters. */
export function pyrogramString(
  dcId: number,
  authKey: Buffer,
  options: { apiId?: number; userId?: number; testMode?: boolean; isBot?: boolean } = {},
): string {
  const out = Buffer.alloc(1 + 4 + 1 + 256 + 8 + 1);
  out.writeUInt8(dcId, 0);
  out.writeUInt32BE(options.apiId ?? 123456, 1);
  out.writeUInt8(options.testMode ? 1 : 0, 5);
  authKey.copy(out, 6);
  out.writeBigUInt64BE(BigInt(options.userId ?? 42), 262);
  out.writeUInt8(options.isBot ? 1 : 0, 270);
  return out.toString("base64url");
}

/** Pyrogram 1 (old): ">B?256sI?", 351 characters. */
export function oldPyrogramString(dcId: number, authKey: Buffer, userId = 42): string {
  const out = Buffer.alloc(1 + 1 + 256 + 4 + 1);
  out.writeUInt8(dcId, 0);
  authKey.copy(out, 2);
  out.writeUInt32BE(userId, 258);
  return out.toString("base64url");
}
