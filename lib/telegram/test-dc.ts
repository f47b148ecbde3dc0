/**
 * TEST SEAM, not an operator setting (left out of every `--help` and `.env.example` on purpose): lets a separate
 * process (the `sessions` CLI, `npm run dev`) talk to the loopback MTProto data centre of test/support/mtproto
 * instead of Telegram, so tests can run those processes as an operator does. Only the address the real GramJS
 * client dials changes, plus, for a login (a new auth key), the DC's RSA public key, which GramJS must know as it
 * knows Telegram's. Nothing here is imported from `test/`; it is read from the environment:
 *
 *   SESSION_KEEPER_TELEGRAM_DC       a 127.x.y.z address; the DC listens on its port 80 (GramJS always dials 80)
 *   SESSION_KEEPER_TELEGRAM_DC_KEY   "<fingerprint>:<modulus in hex>" of the DC's RSA key (e = 65537)
 *
 * Anything but a loopback address is refused, so the seam cannot point a fleet at a foreign server.
 */
import { _serverKeys } from "telegram/crypto/RSA";
import { readBigIntFromBuffer } from "telegram/Helpers";
import { ConfigError, type Env } from "../config";
import type { CreateClient } from "./client";

export const TEST_DC_VARIABLE = "SESSION_KEEPER_TELEGRAM_DC";
export const TEST_DC_KEY_VARIABLE = "SESSION_KEEPER_TELEGRAM_DC_KEY";

/** The client factory for the test DC named in `env`, or undefined when none is (always, in production). */
export function testDcClientFactory(env: Env, create: CreateClient): CreateClient | undefined {
  const host = env[TEST_DC_VARIABLE];
  if (!host) return undefined;
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))
    throw new ConfigError(TEST_DC_VARIABLE, `${TEST_DC_VARIABLE} is a test setting; unset it.`);
  const key = env[TEST_DC_KEY_VARIABLE];
  if (key) {
    const [fingerprint, modulus] = key.split(":");
    if (!fingerprint || !modulus || !/^-?\d+$/.test(fingerprint) || !/^[0-9a-f]+$/i.test(modulus))
      throw new ConfigError(TEST_DC_KEY_VARIABLE, `${TEST_DC_KEY_VARIABLE} is a test setting; unset it.`);
    _serverKeys.set(fingerprint, {
      n: readBigIntFromBuffer(Buffer.from(modulus, "hex"), false, false),
      e: 65537,
    });
  }
  return (session, apiId, apiHash, params) => {
    session.setDC(2, host, 80);
    return create(session, apiId, apiHash, { ...params, useWSS: false });
  };
}
