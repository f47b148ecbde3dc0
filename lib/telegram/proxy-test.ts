/**
 * `sessions proxy <phone> test`: whether Telegram is reachable through the session's proxy, and how fast. It opens a
 * connection of its own through the proxy, presenting the session's identity, with a fresh key (never the session's:
 * one auth key on two connections at once kills the session, and a test must not take the session's lease or count
 * against its health). Connecting is the TCP and proxy handshake, the key exchange and `initConnection`; then one
 * round trip (`help.getConfig`) is timed on its own.
 */
import { Api } from "telegram";
import { forgetSecret, registerSecret } from "../log";
import type { Phone } from "../sessions/phone";
import { proxySecrets, type ProxySettings } from "../sessions/proxy";
import { runOneShot } from "./client";
import type { ClassifiedFailure } from "./contract";
import { profileOf, type ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
import { identityOf } from "./userbot";

/** What a proxy test found. Times in ms, measured on this machine. */
export type ProxyTestOutcome =
  | {
      readonly reachable: true;
      /** TCP and proxy handshake, key exchange and `initConnection`. */
      readonly connectMs: number;
      /** One request and its answer (`help.getConfig`) on the open connection. */
      readonly roundTripMs: number;
      /** The data centre that answered. */
      readonly dcId?: number;
    }
  | {
      readonly reachable: false;
      /** How long until it failed. */
      readonly elapsedMs: number;
      readonly failure: ClassifiedFailure;
    };

export class NoProxyError extends Error {
  constructor(readonly phone: Phone) {
    super(`The session ${phone} has no proxy; set one first (sessions proxy ${phone} set --help).`);
    this.name = "NoProxyError";
  }
}

export const DEFAULT_PROXY_TEST_DEADLINE_MS = 15_000;

/**
 * Tests the stored proxy of `phone` (or `proxy`, when given, for a proxy not stored yet). Never throws for a network
 * failure: an unreachable Telegram is an outcome. Throws `SessionNotFoundError` or `NoProxyError`.
 */
export async function testProxy(
  deps: ResolvedDeps,
  phone: Phone,
  options: { readonly deadlineMs?: number; readonly proxy?: ProxySettings } = {},
): Promise<ProxyTestOutcome> {
  const row = await deps.sessions.require(phone);
  const proxy = options.proxy ?? (row.proxy ? await deps.sessions.readProxy(phone) : undefined);
  if (!proxy) throw new NoProxyError(phone);
  const credentials = await deps.credentials();
  const secrets = proxySecrets(proxy);
  secrets.forEach(registerSecret);
  const startedAt = performance.now();
  let connectedAt = startedAt;
  try {
    const profile = await profileOf(deps, identityOf(deps, row, credentials.apiId), proxy);
    const { roundTripMs, dcId } = await runOneShot(
      "",
      profile,
      async ({ client }) => {
        connectedAt = performance.now();
        const config = await client.invoke(new Api.help.GetConfig());
        return { roundTripMs: performance.now() - connectedAt, dcId: config.thisDc };
      },
      { createClient: deps.createClient, deadlineMs: options.deadlineMs ?? DEFAULT_PROXY_TEST_DEADLINE_MS },
    );
    const outcome: ProxyTestOutcome = {
      reachable: true,
      connectMs: Math.round(connectedAt - startedAt),
      roundTripMs: Math.round(roundTripMs),
      dcId,
    };
    deps.logger.info("Session proxy tested", { phone, reachable: true, connectMs: outcome.connectMs });
    return outcome;
  } catch (err) {
    const failure = classifyError(err);
    deps.logger.warn("Session proxy tested", { phone, reachable: false, code: failure.code });
    return { reachable: false, elapsedMs: Math.round(performance.now() - startedAt), failure };
  } finally {
    secrets.forEach(forgetSecret);
  }
}
