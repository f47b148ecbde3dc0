/**
 * The environment that points a `sessions` (or `npm run dev`) process at a loopback DC of this test process,
 * through the test seam in lib/telegram/test-dc.ts: the DC's address, and its RSA public key so that a login
 * (a new auth key) works in the child as it does here.
 */
import { _serverKeys } from "telegram/crypto/RSA";
import { API_HASH, API_ID } from "./mtproto/dc-harness";
import type { LoopbackDc } from "./mtproto/loopback-dc";
import { testRsaKey } from "./mtproto/test-rsa-key";

export function loopbackDcEnv(dc: LoopbackDc): Record<string, string> {
  const fingerprint = testRsaKey().fingerprint.toString();
  const key = _serverKeys.get(fingerprint);
  if (!key) throw new Error("the loopback DC's RSA key is not registered");
  return {
    API_ID: String(API_ID),
    API_HASH,
    SESSION_KEEPER_TELEGRAM_DC: dc.host,
    SESSION_KEEPER_TELEGRAM_DC_KEY: `${fingerprint}:${key.n.toString(16)}`,
  };
}
