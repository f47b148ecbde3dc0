/**
 * The KMS key provider against a stand-in for KMS that lives inside the SDK client's middleware stack: the real
 * `KMSClient` and commands run; only the HTTP call to KMS is replaced by an emulation that behaves as KMS documents
 * (the encryption context must match exactly, else InvalidCiphertextException).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import {
  InvalidCiphertextException,
  KMSClient,
  type DecryptCommandInput,
  type GenerateDataKeyCommandInput,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config";
import { DecryptionError, EnvelopeCipher } from "../../lib/crypto";
import { KmsKeyProvider } from "../../lib/crypto/kms-key-provider";

/** The context key the stateful stack generates (64 letters and digits), as the functions read it. */
const CONTEXT_KEY = Buffer.from("k".repeat(32) + "9".repeat(32));
const contextKey = () => Promise.resolve(CONTEXT_KEY);

const canonical = (ctx: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => a.localeCompare(b))));

/** A KMSClient whose requests are answered by an in-process emulation of one symmetric KMS key. */
function emulatedKms(keyArn = "arn:aws:kms:eu-central-1:000000000000:key/test") {
  const master = randomBytes(32);
  const calls: { command: string; context: Record<string, string> | undefined }[] = [];
  const client = new KMSClient({
    region: "eu-central-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as GenerateDataKeyCommandInput & DecryptCommandInput;
      calls.push({ command: context.commandName ?? "", context: input.EncryptionContext });
      if (context.commandName === "GenerateDataKeyCommand") {
        const plaintext = randomBytes(32);
        const iv = randomBytes(12);
        const c = createCipheriv("aes-256-gcm", master, iv);
        c.setAAD(canonical(input.EncryptionContext));
        const blob = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
        return {
          output: { $metadata: {}, KeyId: keyArn, Plaintext: plaintext, CiphertextBlob: blob },
          response: {},
        };
      }
      if (context.commandName === "DecryptCommand") {
        const blob = Buffer.from(input.CiphertextBlob!);
        try {
          const d = createDecipheriv("aes-256-gcm", master, blob.subarray(0, 12));
          d.setAAD(canonical(input.EncryptionContext));
          d.setAuthTag(blob.subarray(blob.length - 16));
          const plaintext = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
          return { output: { $metadata: {}, KeyId: keyArn, Plaintext: plaintext }, response: {} };
        } catch {
          throw new InvalidCiphertextException({ message: "", $metadata: {} });
        }
      }
      throw new Error(`unexpected ${context.commandName}`);
    },
    { step: "initialize", name: "emulatedKms" },
  );
  return { client, calls, keyArn };
}

describe("envelope encryption with AWS KMS", () => {
  it("asks KMS for an AES-256 data key with the record's context, and round-trips", async () => {
    const kms = emulatedKms();
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn), contextKey);
    const ct = await cipher.encrypt("session-string", { purpose: "session", id: "+998901234567" });
    expect(ct.startsWith("skenc2.kms.")).toBe(true);
    expect(await cipher.decrypt(ct, { purpose: "session", id: "+998901234567" })).toBe("session-string");
    expect(kms.calls.map((c) => c.command)).toEqual(["GenerateDataKeyCommand", "DecryptCommand"]);
    const context = kms.calls[0]!.context!;
    expect(context).toMatchObject({ app: "session-keeper", purpose: "session" });
    // The context is written to CloudTrail in plaintext: it carries a keyed hash, never the phone itself, and not
    // an unsalted hash anyone can recompute by hashing every number of a plan.
    expect(JSON.stringify(context)).not.toContain("998901234567");
    expect(context.ref).toMatch(/^[0-9a-f]{32}$/);
    expect(context.v).toBe("2");
    const unsalted = createHash("sha256").update("+998901234567").digest("hex");
    expect(unsalted.startsWith(context.ref!)).toBe(false);
  });

  it("the context names the same phone differently under another context key (nobody without it can link it)", async () => {
    const kms = emulatedKms();
    const other = () => Promise.resolve(Buffer.from("z".repeat(64)));
    await new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn), contextKey).encrypt("s", {
      purpose: "session",
      id: "+998901234567",
    });
    await new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn), other).encrypt("s", {
      purpose: "session",
      id: "+998901234567",
    });
    expect(kms.calls[0]!.context!.ref).not.toBe(kms.calls[1]!.context!.ref);
  });

  it("rows of the previous format (an unsalted hash) still open; without a context key nothing new is sealed", async () => {
    const kms = emulatedKms();
    const ctx = { purpose: "session", id: "+998901234567" } as const;
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn), contextKey);
    const old = await cipher.encrypt("old-session", ctx, { legacyFormat: true });
    expect(old.startsWith("skenc1.kms.")).toBe(true);
    expect(await cipher.decrypt(old, ctx)).toBe("old-session");

    const withoutKey = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn));
    expect(await withoutKey.decrypt(old, ctx)).toBe("old-session");
    await expect(withoutKey.encrypt("s", ctx)).rejects.toThrow(ConfigError);
    await expect(withoutKey.encrypt("s", ctx)).rejects.toThrow(/CONTEXT_KEY_SECRET_ARN.*ContextKeySecretArn/);
  });

  it("a ciphertext moved to another phone is refused by KMS itself", async () => {
    const kms = emulatedKms();
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn), contextKey);
    const ct = await cipher.encrypt("session-string", { purpose: "session", id: "+998901234567" });
    await expect(cipher.decrypt(ct, { purpose: "session", id: "+998901234568" })).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it("a ciphertext made under another KMS key does not open", async () => {
    const a = emulatedKms();
    const b = emulatedKms();
    const ct = await new EnvelopeCipher(new KmsKeyProvider(a.client, a.keyArn), contextKey).encrypt("s", {
      purpose: "session",
      id: "+1",
    });
    await expect(
      new EnvelopeCipher(new KmsKeyProvider(b.client, b.keyArn), contextKey).decrypt(ct, {
        purpose: "session",
        id: "+1",
      }),
    ).rejects.toThrow(/could not be decrypted/);
  });

  it("does not reach KMS for a ciphertext of the wrong format", async () => {
    const kms = emulatedKms();
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn), contextKey);
    await expect(cipher.decrypt("skenc1.local.a.b.c.d", { purpose: "session", id: "+1" })).rejects.toThrow(
      /local key/,
    );
    expect(kms.calls).toHaveLength(0);
  });
});
