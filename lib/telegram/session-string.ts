/**
 * Session strings from other tools, read into GramJS's StringSession form:
 *
 * - GramJS: "1" + base64(dcId u8 | addrLen u16 | addr | port u16 | authKey 256).
 * - Telethon: "1" + urlsafe-base64(dcId u8 | IPv4 4 bytes (or IPv6 16) | port u16 | authKey 256), 353 characters
 *   for IPv4. GramJS's StringSession reads it as it is.
 * - Pyrogram: urlsafe-base64 without padding of a struct that carries the DC number but no address:
 *   362 chars ">BI?256sQ?" (dc_id, api_id, test_mode, auth_key, user_id, is_bot), and the older
 *   351 chars ">B?256sI?" and 356 chars ">B?256sQ?" (no api_id). The API id, when present, is kept: the key was
 *   created under it and presents it on every connection.
 *
 * Whatever address a string carries is thrown away: the result names Telegram's own address for the string's DC id
 * (its test servers' only when the operator says so, for a test number), so a string naming some other host never
 * makes us dial it.
 *
 * Nothing here talks to Telegram; `importSession` proves the result with getMe.
 */
import { StringSession } from "telegram/sessions";
import { PRODUCTION_DC_IPV4, telegramAddress } from "./connection";

export { PRODUCTION_DC_IPV4 };

export type SessionFormat = "gramjs" | "telethon" | "pyrogram";

export interface ParsedSession {
  readonly format: SessionFormat;
  /** In GramJS's StringSession form. */
  readonly sessionString: string;
  readonly dcId: number;
  /** The API id the key was made under, when the format carries it (Pyrogram's current one). */
  readonly apiId?: number;
  /** True when the string is for Telegram's test servers (asked for explicitly). */
  readonly testServers: boolean;
}

export interface ParseOptions {
  /** The string is for Telegram's test servers (a test number, +99966…). Default: production. */
  readonly testServers?: boolean;
}

const AUTH_KEY_BYTES = 256;

export class InvalidSessionStringError extends Error {
  constructor(reason: string) {
    super(
      `This is not a session string Session Keeper can use (${reason}). ` +
        "Paste a GramJS or Telethon string session (it starts with 1) or a Pyrogram session string, " +
        "whole and unchanged, or add the account by logging in instead.",
    );
    this.name = "InvalidSessionStringError";
  }
}

const PYROGRAM_LAYOUTS: Readonly<
  Record<number, { readonly hasApiId: boolean; readonly userIdBytes: 4 | 8 }>
> = {
  362: { hasApiId: true, userIdBytes: 8 },
  351: { hasApiId: false, userIdBytes: 4 },
  356: { hasApiId: false, userIdBytes: 8 },
};

export function parseSessionString(input: string, options: ParseOptions = {}): ParsedSession {
  const text = input.trim();
  if (text.length === 0) throw new InvalidSessionStringError("it is empty");
  if (!/^[A-Za-z0-9+/_=-]+$/.test(text))
    throw new InvalidSessionStringError("it has characters no session has");
  const testServers = options.testServers === true;
  if (text.startsWith("1")) return parseGramJsOrTelethon(text, testServers);
  const layout = PYROGRAM_LAYOUTS[text.replace(/=+$/, "").length];
  if (layout) return parsePyrogram(text, layout, testServers);
  throw new InvalidSessionStringError(`its length, ${text.length} characters, matches no known format`);
}

/** Telegram's address of `dcId`, or a refusal naming the DC that does not exist. */
function addressOf(dcId: number, testServers: boolean): string {
  const address = telegramAddress(dcId, testServers);
  if (!address) {
    throw new InvalidSessionStringError(
      `it names data centre ${dcId}, which Telegram${testServers ? "'s test servers do" : " does"} not have`,
    );
  }
  return address;
}

function parseGramJsOrTelethon(text: string, testServers: boolean): ParsedSession {
  let session: StringSession;
  try {
    session = new StringSession(text);
  } catch {
    throw new InvalidSessionStringError("it could not be decoded");
  }
  // StringSession's constructor keeps the key bytes as read; check what it read makes sense.
  const key = (session as unknown as { _key?: Buffer })._key;
  const dcId = session.dcId;
  if (!key || key.length !== AUTH_KEY_BYTES) {
    throw new InvalidSessionStringError("its auth key is not 256 bytes; it may be cut short");
  }
  if (!Number.isInteger(dcId) || dcId < 1 || dcId > 1000 || !session.serverAddress) {
    throw new InvalidSessionStringError("it names no data centre");
  }
  // Telethon writes the address as 4 (or 16) raw bytes; GramJS writes a length (≤ 100) and the text. GramJS's own
  // reader tells them apart the same way.
  const raw = Buffer.from(text.slice(1), "base64");
  const format: SessionFormat = text.length === 353 || raw.readInt16BE(1) > 100 ? "telethon" : "gramjs";
  // The address written in the string is never used: Telegram's own for its DC id replaces it.
  return {
    format,
    sessionString: gramJsString(dcId, addressOf(dcId, testServers), 443, key),
    dcId,
    testServers,
  };
}

function parsePyrogram(
  text: string,
  layout: { readonly hasApiId: boolean; readonly userIdBytes: 4 | 8 },
  testServers: boolean,
): ParsedSession {
  const raw = Buffer.from(text.replace(/=+$/, ""), "base64url");
  const expected = 1 + (layout.hasApiId ? 4 : 0) + 1 + AUTH_KEY_BYTES + layout.userIdBytes + 1;
  if (raw.length !== expected) throw new InvalidSessionStringError("it could not be decoded");
  let offset = 0;
  const dcId = raw.readUInt8(offset);
  offset += 1;
  const apiId = layout.hasApiId ? raw.readUInt32BE(offset) : undefined;
  offset += layout.hasApiId ? 4 : 0;
  const testMode = raw.readUInt8(offset) !== 0;
  offset += 1;
  const authKey = raw.subarray(offset, offset + AUTH_KEY_BYTES);
  offset += AUTH_KEY_BYTES + layout.userIdBytes;
  const isBot = raw.readUInt8(offset) !== 0;
  if (isBot) throw new InvalidSessionStringError("it is a bot's session; Session Keeper keeps user accounts");
  if (testMode && !testServers) {
    throw new InvalidSessionStringError(
      "it is for Telegram's test servers; import it as a test-server session, for a test number (+99966…) only",
    );
  }
  if (!testMode && testServers) {
    throw new InvalidSessionStringError("it is for Telegram's production servers, not its test servers");
  }
  if (apiId === 0) throw new InvalidSessionStringError("its API id is 0");
  return {
    format: "pyrogram",
    sessionString: gramJsString(dcId, addressOf(dcId, testServers), 443, Buffer.from(authKey)),
    dcId,
    ...(apiId !== undefined ? { apiId } : {}),
    testServers,
  };
}

/** GramJS's `StringSession.save()` layout, written without a client. */
export function gramJsString(dcId: number, address: string, port: number, authKey: Buffer): string {
  const addr = Buffer.from(address, "utf8");
  const header = Buffer.alloc(5);
  header.writeUInt8(dcId, 0);
  header.writeInt16BE(addr.length, 1);
  const portBuf = Buffer.alloc(2);
  portBuf.writeInt16BE(port, 0);
  return `1${Buffer.concat([header.subarray(0, 3), addr, portBuf, authKey]).toString("base64")}`;
}

/**
 * True when two stored (GramJS-format) session strings hold the same auth key on the same DC, whatever address they
 * write: the same credential at Telegram, so one must never be logged out as the other's "old key".
 */
export function sameAuthKey(a: string, b: string): boolean {
  if (a === b) return true;
  const keyOf = (s: string): string | undefined => {
    if (!s.startsWith("1")) return undefined;
    const raw = Buffer.from(s.slice(1), "base64");
    if (raw.length < 1 + AUTH_KEY_BYTES) return undefined;
    return `${raw.readUInt8(0)}:${raw.subarray(raw.length - AUTH_KEY_BYTES).toString("hex")}`;
  };
  const ka = keyOf(a);
  return ka !== undefined && ka === keyOf(b);
}
