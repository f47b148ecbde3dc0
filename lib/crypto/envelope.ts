/**
 * Envelope encryption of secrets (session strings, half-finished logins): a fresh 256-bit data key per secret,
 * AES-256-GCM over the secret, and the data key itself wrapped by a key provider (AWS KMS, or a local key on a
 * developer machine).
 *
 * The record's identity (what the secret is for and whose it is) is bound in twice: as GCM additional data over
 * the secret, and as the KMS encryption context over the data key (as a hash, because KMS writes the context to
 * CloudTrail in plaintext). A ciphertext copied onto another row, or altered by one bit, fails to decrypt.
 *
 * Why our own envelope rather than the AWS Encryption SDK: its `decrypt()` does not check the encryption context
 * (the caller must), it adds a signing suite by default, and the whole job here is ~100 lines of Node's crypto
 * that tests can read end to end.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** What a secret belongs to. `purpose` separates kinds of secret; `id` is the row's key (phone or flow id). */
export interface SecretContext {
  readonly purpose: "session" | "login" | "proxy";
  readonly id: string;
}

/** Wraps and unwraps data keys. Implementations: KMS (AWS) and local (a key file on a developer machine). */
export interface KeyProvider {
  /** Short tag stored in the ciphertext so a record says which provider wrapped it. */
  readonly name: "kms" | "local";
  generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer>;
}

export class DecryptionError extends Error {
  constructor(detail: string) {
    super(
      `The stored secret could not be decrypted (${detail}): it was altered, copied from another record, or ` +
        "encrypted under a different key. Log this session in again.",
    );
    this.name = "DecryptionError";
  }
}

const FORMAT = "skenc1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The context given to the key provider: not secret, written to audit logs, so the id is hashed. */
export function providerContext(context: SecretContext): Record<string, string> {
  return {
    app: "session-keeper",
    purpose: context.purpose,
    ref: createHash("sha256").update(context.id).digest("hex").slice(0, 32),
  };
}

/** Unambiguous encoding of the context as GCM additional data (length-prefixed, so "a|bc" ≠ "ab|c"). */
function additionalData(context: SecretContext): Buffer {
  const parts = [FORMAT, context.purpose, context.id].map((p) => Buffer.from(p, "utf8"));
  return Buffer.concat(
    parts.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.length);
      return [len, p];
    }),
  );
}

const b64 = (b: Buffer) => b.toString("base64url");

export class EnvelopeCipher {
  constructor(private readonly keys: KeyProvider) {}

  async encrypt(plaintext: string, context: SecretContext): Promise<string> {
    const { plaintext: dataKey, wrapped } = await this.keys.generateDataKey(providerContext(context));
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", dataKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(context));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [FORMAT, this.keys.name, b64(wrapped), b64(iv), b64(body), b64(tag)].join(".");
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<string> {
    const parts = ciphertext.split(".");
    if (parts.length !== 6 || parts[0] !== FORMAT) throw new DecryptionError("unknown format");
    const [, provider, wrappedB64, ivB64, bodyB64, tagB64] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (provider !== this.keys.name) {
      throw new DecryptionError(
        `it was encrypted with the ${provider} key, this system uses the ${this.keys.name} key`,
      );
    }
    const iv = Buffer.from(ivB64, "base64url");
    const tag = Buffer.from(tagB64, "base64url");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError("malformed");
    const dataKey = await this.keys.unwrapDataKey(
      Buffer.from(wrappedB64, "base64url"),
      providerContext(context),
    );
    try {
      const decipher = createDecipheriv("aes-256-gcm", dataKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(bodyB64, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new DecryptionError("integrity check failed");
    } finally {
      dataKey.fill(0);
    }
  }
}
