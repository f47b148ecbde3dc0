/**
 * A session's proxy: SOCKS5 (optionally with a user name and password) or Telegram's MTProxy (with its secret).
 * Every connection of the session goes through it. The address is plain on the row; the credentials (user name,
 * password, MTProxy secret) are secrets, stored encrypted like the session string and masked in logs.
 */
import type { SessionProxyView } from "./session";

export type ProxySettings =
  | {
      readonly kind: "socks5";
      readonly host: string;
      readonly port: number;
      readonly username?: string;
      readonly password?: string;
    }
  | {
      readonly kind: "mtproxy";
      readonly host: string;
      readonly port: number;
      /** 32 hex characters (16 bytes), or 34 with the "dd" prefix (random padding). */
      readonly secret: string;
    };

/** The secret part of a proxy, as stored encrypted. */
export type ProxyCredentials =
  | { readonly username?: string; readonly password?: string }
  | {
      readonly secret: string;
    };

export class InvalidProxyError extends Error {
  constructor(reason: string) {
    super(`This proxy cannot be used: ${reason}. Nothing was changed.`);
    this.name = "InvalidProxyError";
  }
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MTPROXY_SECRET = /^(?:dd)?[0-9a-f]{32}$/i;

/** Checks a proxy before it is stored or tried; throws `InvalidProxyError` saying what is wrong. */
export function validateProxy(proxy: ProxySettings): ProxySettings {
  if (!HOST.test(proxy.host) || proxy.host.length > 253) {
    throw new InvalidProxyError(`"${proxy.host}" is not a host name or IPv4 address`);
  }
  if (!Number.isInteger(proxy.port) || proxy.port < 1 || proxy.port > 65_535) {
    throw new InvalidProxyError(`the port must be a whole number from 1 to 65535, not ${proxy.port}`);
  }
  if (proxy.kind === "mtproxy") {
    if (!MTPROXY_SECRET.test(proxy.secret)) {
      throw new InvalidProxyError(
        "an MTProxy secret is 32 hexadecimal characters (or 34 starting with dd); " +
          "fake-TLS secrets (starting with ee) are not supported",
      );
    }
    return { kind: "mtproxy", host: proxy.host, port: proxy.port, secret: proxy.secret.toLowerCase() };
  }
  if ((proxy.username === undefined) !== (proxy.password === undefined)) {
    throw new InvalidProxyError("give both a user name and a password, or neither");
  }
  for (const [what, value] of [
    ["user name", proxy.username],
    ["password", proxy.password],
  ] as const) {
    // RFC 1929: each is 1 to 255 bytes.
    if (value !== undefined && (value.length === 0 || Buffer.byteLength(value, "utf8") > 255)) {
      throw new InvalidProxyError(`the ${what} must be 1 to 255 bytes long`);
    }
  }
  return proxy;
}

export function proxyView(proxy: ProxySettings): SessionProxyView {
  return { kind: proxy.kind, host: proxy.host, port: proxy.port };
}

export function proxyCredentials(proxy: ProxySettings): ProxyCredentials {
  if (proxy.kind === "mtproxy") return { secret: proxy.secret };
  return {
    ...(proxy.username !== undefined ? { username: proxy.username } : {}),
    ...(proxy.password !== undefined ? { password: proxy.password } : {}),
  };
}

/** The values of a proxy that must never reach a log line. */
export function proxySecrets(proxy: ProxySettings): string[] {
  if (proxy.kind === "mtproxy") return [proxy.secret];
  return [proxy.username, proxy.password].filter((v): v is string => v !== undefined);
}

export function joinProxy(view: SessionProxyView, credentials: ProxyCredentials): ProxySettings {
  if (view.kind === "mtproxy") {
    if (!("secret" in credentials)) throw new InvalidProxyError("its stored MTProxy secret is missing");
    return { ...view, kind: "mtproxy", secret: credentials.secret };
  }
  if ("secret" in credentials) throw new InvalidProxyError("its stored SOCKS5 credentials are malformed");
  return { ...view, kind: "socks5", ...credentials };
}
