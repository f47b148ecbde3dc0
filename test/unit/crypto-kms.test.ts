/**
 * The KMS key provider against a stand-in for KMS that lives inside the SDK client's middleware stack: the real
 * `KMSClient` and commands run; only the HTTP call to KMS is replaced by an emulation that behaves as KMS documents
 * (the encryption context must match exactly, else InvalidCiphertextException).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import {
  InvalidCiphertextException,
  KMSClient,
  type DecryptCommandInput,
  type GenerateDataKeyCommandInput,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { DecryptionError, EnvelopeCipher, KmsKeyProvider } from "../../lib/crypto";

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
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn));
    const ct = await cipher.encrypt("session-string", { purpose: "session", id: "+998901234567" });
    expect(ct.startsWith("skenc1.kms.")).toBe(true);
    expect(await cipher.decrypt(ct, { purpose: "session", id: "+998901234567" })).toBe("session-string");
    expect(kms.calls.map((c) => c.command)).toEqual(["GenerateDataKeyCommand", "DecryptCommand"]);
    const context = kms.calls[0]!.context!;
    expect(context).toMatchObject({ app: "session-keeper", purpose: "session" });
    // The context is written to CloudTrail in plaintext: it carries a hash, never the phone itself.
    expect(JSON.stringify(context)).not.toContain("998901234567");
    expect(context.ref).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a ciphertext moved to another phone is refused by KMS itself", async () => {
    const kms = emulatedKms();
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn));
    const ct = await cipher.encrypt("session-string", { purpose: "session", id: "+998901234567" });
    await expect(cipher.decrypt(ct, { purpose: "session", id: "+998901234568" })).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it("a ciphertext made under another KMS key does not open", async () => {
    const a = emulatedKms();
    const b = emulatedKms();
    const ct = await new EnvelopeCipher(new KmsKeyProvider(a.client, a.keyArn)).encrypt("s", {
      purpose: "session",
      id: "+1",
    });
    await expect(
      new EnvelopeCipher(new KmsKeyProvider(b.client, b.keyArn)).decrypt(ct, {
        purpose: "session",
        id: "+1",
      }),
    ).rejects.toThrow(/could not be decrypted/);
  });

  it("does not reach KMS for a ciphertext of the wrong format", async () => {
    const kms = emulatedKms();
    const cipher = new EnvelopeCipher(new KmsKeyProvider(kms.client, kms.keyArn));
    await expect(cipher.decrypt("skenc1.local.a.b.c.d", { purpose: "session", id: "+1" })).rejects.toThrow(
      /local key/,
    );
    expect(kms.calls).toHaveLength(0);
  });
});
