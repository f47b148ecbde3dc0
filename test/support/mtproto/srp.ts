/**
 * The server side of Telegram's 2FA SRP check (core.telegram.org/api/srp), so that `auth.checkPassword` really
 * verifies what GramJS's `computeCheck` (`telegram/Password.js`) sends: a wrong password fails because the proof
 * does not match, not because the peer compared strings.
 *
 * The verifier v = g^x mod p comes from GramJS's own `computeDigest` (x is its SHA256/PBKDF2 password hash), as
 * Telegram's client computes it when a password is set; the rest is the server's half of the exchange.
 */
import { createHash, randomBytes } from "node:crypto";
import { Api } from "telegram";
import { computeDigest } from "telegram/Password";
import { TELEGRAM_G, TELEGRAM_PRIME, TELEGRAM_PRIME_BYTES, modPow, toBigInt, toBytes } from "./math";

const G_BYTES = toBytes(BigInt(TELEGRAM_G), 256);

export interface PasswordRecord {
  readonly algo: Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow;
  readonly verifier: bigint;
}

/** What the server remembers between account.getPassword and auth.checkPassword. */
export interface SrpChallenge {
  readonly srpId: bigint;
  readonly b: bigint;
  readonly B: Buffer;
}

export async function passwordRecord(password: string): Promise<PasswordRecord> {
  const algo = new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
    salt1: randomBytes(40),
    salt2: randomBytes(16),
    g: TELEGRAM_G,
    p: TELEGRAM_PRIME_BYTES,
  });
  return { algo, verifier: toBigInt(await computeDigest(algo, password)) };
}

/** B = k·v + g^b mod p, with k = H(p | g). */
export function srpChallenge(record: PasswordRecord): SrpChallenge {
  const b = toBigInt(randomBytes(256));
  const k = toBigInt(sha256(TELEGRAM_PRIME_BYTES, G_BYTES));
  const B = (k * record.verifier + modPow(BigInt(TELEGRAM_G), b, TELEGRAM_PRIME)) % TELEGRAM_PRIME;
  return { srpId: randomBytes(8).readBigInt64LE(0), b, B: toBytes(B, 256) };
}

/** True when M1 proves knowledge of the password behind `record` for this challenge. */
export function srpVerify(record: PasswordRecord, challenge: SrpChallenge, A: Buffer, M1: Buffer): boolean {
  const a = toBigInt(A);
  if (a <= 0n || a >= TELEGRAM_PRIME) return false;
  const aBytes = toBytes(a, 256);
  const u = toBigInt(sha256(aBytes, challenge.B));
  // S = (A · v^u)^b mod p: the same secret the client reaches as (B - k·g^x)^(a + u·x).
  const S = modPow(
    (a * modPow(record.verifier, u, TELEGRAM_PRIME)) % TELEGRAM_PRIME,
    challenge.b,
    TELEGRAM_PRIME,
  );
  const K = sha256(toBytes(S, 256));
  const pXorG = xor(sha256(TELEGRAM_PRIME_BYTES), sha256(G_BYTES));
  const expected = sha256(
    pXorG,
    sha256(record.algo.salt1),
    sha256(record.algo.salt2),
    aBytes,
    challenge.B,
    K,
  );
  return expected.equals(M1);
}

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}
