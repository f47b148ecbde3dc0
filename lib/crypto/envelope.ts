/**
 * Envelope encryption of secrets (session strings, half-finished logins): a fresh 256-bit data key per secret,
 * AES-256-GCM over the secret, and the data key itself wrapped by a key provider (AWS KMS, or a local key on a
 * developer machine).
 *
 * The record's identity (what the secret is for and whose it is) is bound in twice: as GCM additional data over
 * the secret, and as the KMS encryption context over the data key. KMS writes the context to CloudTrail in
 * plaintext, so the id (a phone number) appears there only as a keyed hash (HMAC-SHA256 under the context key, a
 * secret of the stateful stack): an unsalted hash of a phone number is reversed by hashing every number of a plan.
 * A ciphertext copied onto another row, or altered by one bit, fails to decrypt.
 *
 * Formats: `skenc2` (the current one) names the record by the keyed hash and says so in the context (`v: "2"`);
 * `skenc1` (before) by an unsalted SHA-256. Both open; only `skenc2` is written, and `sessions migrate-encryption`
 * rewraps the old rows.
 *
 * Why our own envelope rather than the AWS Encryption SDK: its `decrypt()` does not check the encryption context
 * (the caller must), it adds a signing suite by default, and the whole job here is ~100 lines of Node's crypto
 * that tests can read end to end.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { ConfigError } from "../config";

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
  /** A context key of the provider's own (the local key derives one); KMS has none, it comes from a secret. */
  contextKey?(): Promise<Buffer>;
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

/** The ciphertext formats: each says how the provider context names the record. */
export const FORMAT_V1 = "skenc1";
export const FORMAT = "skenc2";
type Format = typeof FORMAT_V1 | typeof FORMAT;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function missingContextKey(): ConfigError {
  return new ConfigError(
    "CONTEXT_KEY_SECRET_ARN",
    "Missing CONTEXT_KEY_SECRET_ARN: set it to the ARN of the context key secret (the stack output " +
      "ContextKeySecretArn); sessions are sealed with it.",
  );
}

/** The key of the keyed hash that names a record in the provider context; read once, when first needed. */
export type ContextKey = () => Promise<Buffer>;

/** Which format a stored ciphertext is in (`undefined`: not one of ours). */
export function formatOf(ciphertext: string): Format | undefined {
  const prefix = ciphertext.slice(0, ciphertext.indexOf("."));
  return prefix === FORMAT || prefix === FORMAT_V1 ? prefix : undefined;
}

/**
 * The context given to the key provider: not secret, written to audit logs. Format 1 named the record by an
 * unsalted SHA-256 of its id (kept only to open old rows); format 2 by an HMAC under the context key.
 */
export function providerContext(context: SecretContext, contextKey?: Buffer): Record<string, string> {
  if (!contextKey) {
    return {
      app: "session-keeper",
      purpose: context.purpose,
      ref: createHash("sha256").update(context.id).digest("hex").slice(0, 32),
    };
  }
  return {
    app: "session-keeper",
    purpose: context.purpose,
    ref: createHmac("sha256", contextKey)
      .update(`${context.purpose}\0${context.id}`)
      .digest("hex")
      .slice(0, 32),
    v: "2",
  };
}

/** Unambiguous encoding of the context as GCM additional data (length-prefixed, so "a|bc" ≠ "ab|c"). */
function additionalData(format: Format, context: SecretContext): Buffer {
  const parts = [format, context.purpose, context.id].map((p) => Buffer.from(p, "utf8"));
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
  private contextKeyRead: Promise<Buffer> | undefined;

  /**
   * `contextKey` is required to write (and to open format 2); without one the cipher can only open format 1 rows.
   * A failed read of it is retried by the next call.
   */
  private readonly contextKey: ContextKey | undefined;

  constructor(
    private readonly keys: KeyProvider,
    contextKey?: ContextKey,
  ) {
    this.contextKey = contextKey ?? (keys.contextKey ? () => keys.contextKey!() : undefined);
  }

  private async keyedContext(): Promise<Buffer> {
    if (!this.contextKey) throw missingContextKey();
    this.contextKeyRead ??= this.contextKey().catch((err: unknown) => {
      this.contextKeyRead = undefined;
      throw err;
    });
    return this.contextKeyRead;
  }

  /**
   * Seals `plaintext` for the record `context` names. `legacyFormat` writes format 1 (an unsalted hash in the
   * context): only for tests of the migration, which need rows as the previous version wrote them.
   */
  async encrypt(
    plaintext: string,
    context: SecretContext,
    options: { legacyFormat?: boolean } = {},
  ): Promise<string> {
    const format: Format = options.legacyFormat ? FORMAT_V1 : FORMAT;
    const keyContext =
      format === FORMAT ? providerContext(context, await this.keyedContext()) : providerContext(context);
    const { plaintext: dataKey, wrapped } = await this.keys.generateDataKey(keyContext);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", dataKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(format, context));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [format, this.keys.name, b64(wrapped), b64(iv), b64(body), b64(tag)].join(".");
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<string> {
    const parts = ciphertext.split(".");
    const format = formatOf(ciphertext);
    if (parts.length !== 6 || !format) throw new DecryptionError("unknown format");
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
    const keyContext =
      format === FORMAT ? providerContext(context, await this.keyedContext()) : providerContext(context);
    const dataKey = await this.keys.unwrapDataKey(Buffer.from(wrappedB64, "base64url"), keyContext);
    try {
      const decipher = createDecipheriv("aes-256-gcm", dataKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(format, context));
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
