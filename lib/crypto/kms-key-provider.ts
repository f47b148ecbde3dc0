/**
 * Data keys from AWS KMS: `GenerateDataKey` (AES_256) on encrypt, `Decrypt` on decrypt, both with the record's
 * encryption context, so KMS itself refuses a data key moved to another record (InvalidCiphertextException), and
 * every use of a session leaves a CloudTrail record naming (a hash of) it.
 */
import type { KMSClient } from "@aws-sdk/client-kms";
import { DecryptionError, type KeyProvider } from "./envelope";

/**
 * The SDK's KMS module, loaded on first use (an `import()` of a package resolves both in the Lambda's ES module
 * bundle and in the CLI, which runs as CommonJS through tsx): a process that never seals or opens a session, such as
 * the webhook answering a button press, never loads it (issue #19).
 */
const kmsModule = () => import("@aws-sdk/client-kms");

export class KmsKeyProvider implements KeyProvider {
  readonly name = "kms" as const;

  /** The context key, from its Secrets Manager secret; absent, only format 1 rows open and nothing is sealed. */
  readonly contextKey?: () => Promise<Buffer>;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    contextKey?: () => Promise<Buffer>,
  ) {
    if (contextKey) this.contextKey = contextKey;
  }

  async generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const { GenerateDataKeyCommand } = await kmsModule();
    const out = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: "AES_256", EncryptionContext: context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob)
      throw new Error("KMS GenerateDataKey returned no key material.");
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    const { DecryptCommand } = await kmsModule();
    try {
      const out = await this.kms.send(
        new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: wrapped, EncryptionContext: context }),
      );
      if (!out.Plaintext) throw new Error("KMS Decrypt returned no key material.");
      return Buffer.from(out.Plaintext);
    } catch (err) {
      // By name: the module loaded here and the caller's client may be two builds of the SDK (ESM and CommonJS).
      if ((err as { name?: unknown }).name === "InvalidCiphertextException")
        throw new DecryptionError("KMS refused the data key");
      throw err;
    }
  }
}
