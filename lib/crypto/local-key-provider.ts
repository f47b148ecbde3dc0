/**
 * Data keys wrapped by a local 256-bit key, for a developer machine and tests. The key comes from
 * `SESSION_ENCRYPTION_KEY`, or is generated once into the (git-ignored) local data folder with mode 0600.
 * It never runs in AWS: `loadStoreConfig` refuses to start there without a KMS key.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DecryptionError, type KeyProvider } from "./envelope";

const IV_BYTES = 12;
const TAG_BYTES = 16;

function contextBytes(context: Record<string, string>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted), "utf8");
}

export class LocalKeyProvider implements KeyProvider {
  readonly name = "local" as const;

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("The local session key must be 32 bytes.");
  }

  /** Reads the key file in `dataDir`, creating it (32 random bytes, mode 0600) the first time. */
  static fromDataDir(dataDir: string): LocalKeyProvider {
    const file = join(dataDir, "session-encryption.key");
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    }
    chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) {
      throw new Error(
        `${file} does not hold a 32-byte base64 key. Restore it from backup; without it stored sessions cannot be read.`,
      );
    }
    return new LocalKeyProvider(key);
  }

  /**
   * The context key on a developer machine: derived from the local key (HKDF-SHA256), so the local data folder
   * needs no second secret and a copy of the key file is all a backup needs.
   */
  contextKey(): Promise<Buffer> {
    return Promise.resolve(
      Buffer.from(hkdfSync("sha256", this.masterKey, Buffer.alloc(0), "session-keeper/context-key", 32)),
    );
  }

  generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.masterKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(contextBytes(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Promise.resolve({ plaintext, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) });
  }

  unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    if (wrapped.length !== IV_BYTES + 32 + TAG_BYTES)
      return Promise.reject(new DecryptionError("malformed data key"));
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.masterKey, wrapped.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(wrapped.subarray(IV_BYTES + 32));
      return Promise.resolve(
        Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, IV_BYTES + 32)), decipher.final()]),
      );
    } catch {
      return Promise.reject(new DecryptionError("the data key does not open with this key and context"));
    }
  }
}
