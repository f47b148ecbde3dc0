/**
 * Who a connection says it is, and where it goes. A key presents one identity on every connection: the same
 * `initConnection` device parameters and the API id it was created under, never the host's (GramJS fills an empty
 * device model and system version from `os.type()` and `os.release()`, which change from one Lambda host to the
 * next). It is dialled at Telegram's own address for its DC id, never at an address written inside a session string
 * (an imported string could name any host). And it goes through the session's proxy, if it has one, by GramJS's own
 * proxy support (SOCKS5 through the `socks` package GramJS ships, MTProxy through its obfuscated transport).
 */
import type { StringSession } from "telegram/sessions";
import type { TelegramClientParams } from "telegram/client/telegramBaseClient";
import type { ProxyInterface } from "telegram/network/connection/TCPMTProxy";
import type { ProxySettings } from "../sessions/proxy";
import type { DeviceIdentity } from "../sessions/session";

/** How one connection presents itself to Telegram. */
export interface ConnectionProfile {
  /** Presented in `initConnection`: the API id the key was created under. */
  readonly apiId: number;
  /**
   * The deployment's API hash: only login methods send it (a logged-in key needs none), but GramJS refuses to build
   * a client without one.
   */
  readonly apiHash: string;
  readonly device: DeviceIdentity;
  /** Telegram's test servers (test numbers +99966… only), instead of production. */
  readonly testServers?: boolean;
  readonly proxy?: ProxySettings;
}

/** Telegram's production data centres (the addresses Pyrogram, Telethon and GramJS ship with). */
export const PRODUCTION_DC_IPV4: Readonly<Record<number, string>> = {
  1: "149.154.175.53",
  2: "149.154.167.51",
  3: "149.154.175.100",
  4: "149.154.167.91",
  5: "91.108.56.130",
};

/** Telegram's test data centres (core.telegram.org/api/datacenter), for test numbers only. */
export const TEST_DC_IPV4: Readonly<Record<number, string>> = {
  1: "149.154.175.10",
  2: "149.154.167.40",
  3: "149.154.175.117",
};

/** Test numbers: +99966 XYYYY, with X the DC id (core.telegram.org/api/auth#test-accounts). */
export function isTestNumber(phone: string): boolean {
  return /^\+?99966\d{5}$/.test(phone);
}

/** Telegram's address of data centre `dcId`, or undefined when there is no such DC. */
export function telegramAddress(dcId: number, testServers = false): string | undefined {
  return (testServers ? TEST_DC_IPV4 : PRODUCTION_DC_IPV4)[dcId];
}

export class UnknownDataCentreError extends Error {
  constructor(readonly dcId: number) {
    super(`The session names data centre ${dcId}, which Telegram does not have; log it in again.`);
    this.name = "UnknownDataCentreError";
  }
}

/**
 * Points `session` at Telegram's address for its DC id, whatever address it carried. An empty session (a new
 * login) is left to GramJS, which starts at its own production DC.
 */
export function pinTelegramAddress(session: StringSession, testServers = false): void {
  if (!session.dcId) return;
  const address = telegramAddress(session.dcId, testServers);
  if (!address) throw new UnknownDataCentreError(session.dcId);
  session.setDC(session.dcId, address, 443);
}

/** The client parameters that carry the identity and the proxy. */
export function profileParams(profile: ConnectionProfile): TelegramClientParams {
  const { deviceModel, systemVersion, appVersion, langCode, systemLangCode } = profile.device;
  return {
    deviceModel,
    systemVersion,
    appVersion,
    langCode,
    systemLangCode,
    ...(profile.testServers ? { testServers: true } : {}),
    ...(profile.proxy ? { proxy: gramProxy(profile.proxy) } : {}),
  };
}

/** How long the SOCKS handshake may take, in seconds (GramJS's default is 5). */
const PROXY_TIMEOUT_S = 5;

/** Our proxy settings in GramJS's form. */
export function gramProxy(proxy: ProxySettings): ProxyInterface {
  if (proxy.kind === "mtproxy") {
    return {
      ip: proxy.host,
      port: proxy.port,
      secret: proxy.secret,
      MTProxy: true,
      timeout: PROXY_TIMEOUT_S,
    };
  }
  return {
    ip: proxy.host,
    port: proxy.port,
    socksType: 5,
    timeout: PROXY_TIMEOUT_S,
    ...(proxy.username !== undefined ? { username: proxy.username } : {}),
    ...(proxy.password !== undefined ? { password: proxy.password } : {}),
  };
}
