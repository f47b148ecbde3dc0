/**
 * 2048-bit arithmetic for the server halves of the DH key exchange and of SRP, on native BigInt: GramJS's own
 * `Helpers.modExp` walks big-integer bit by bit and would make every login on the peer noticeably slow.
 */

/**
 * Telegram's 2048-bit safe prime, the one its DCs send as `dh_prime` and as the SRP `p`. GramJS's `Password.js`
 * (`checkPrimeAndGood`) refuses any other prime for 2FA, so the peer must use exactly this one.
 */
export const TELEGRAM_PRIME_HEX =
  "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4db" +
  "fa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64" +
  "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b41" +
  "0dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4" +
  "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf" +
  "6f4fadf034b10403119cd8e3b92fcc5b";
export const TELEGRAM_PRIME = BigInt(`0x${TELEGRAM_PRIME_HEX}`);
export const TELEGRAM_PRIME_BYTES = Buffer.from(TELEGRAM_PRIME_HEX, "hex");
/** The generator Telegram pairs with that prime (3 passes GramJS's checks: prime mod 24 is 23). */
export const TELEGRAM_G = 3;

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Big-endian unsigned. */
export function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

/** Big-endian unsigned, left-padded to `length` bytes. */
export function toBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16).padStart(length * 2, "0");
  if (hex.length > length * 2) throw new Error(`value does not fit in ${length} bytes`);
  return Buffer.from(hex, "hex");
}
