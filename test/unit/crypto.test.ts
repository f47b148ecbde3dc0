import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DecryptionError, EnvelopeCipher, LocalKeyProvider } from "../../lib/crypto";
import { createCipher } from "../../lib/crypto";

const SESSION = `1${randomBytes(276).toString("base64")}`;
const ctx = (id: string) => ({ purpose: "session" as const, id });

function cipher(key = randomBytes(32)) {
  return new EnvelopeCipher(new LocalKeyProvider(key));
}

/** Flips one bit of the base64url field `index` of a ciphertext. */
function flipBit(ciphertext: string, index: number): string {
  const parts = ciphertext.split(".");
  const bytes = Buffer.from(parts[index]!, "base64url");
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("envelope encryption of session strings", () => {
  it("round-trips a session string, with a fresh data key and IV each time", async () => {
    const c = cipher();
    const a = await c.encrypt(SESSION, ctx("+998901234567"));
    const b = await c.encrypt(SESSION, ctx("+998901234567"));
    expect(a).not.toBe(b);
    expect(a).not.toContain(SESSION.slice(1, 40));
    expect(await c.decrypt(a, ctx("+998901234567"))).toBe(SESSION);
    expect(await c.decrypt(b, ctx("+998901234567"))).toBe(SESSION);
  });

  it("writes format 2 under a context key derived from the local key; format 1 rows still open", async () => {
    const key = randomBytes(32);
    const seen: Record<string, string>[] = [];
    const provider = new LocalKeyProvider(key);
    const generate = provider.generateDataKey.bind(provider);
    provider.generateDataKey = (context) => {
      seen.push(context);
      return generate(context);
    };
    const c = new EnvelopeCipher(provider);
    const current = await c.encrypt(SESSION, ctx("+998901234567"));
    expect(current.startsWith("skenc2.local.")).toBe(true);
    expect(seen[0]).toMatchObject({ app: "session-keeper", purpose: "session", v: "2" });
    const legacy = await c.encrypt(SESSION, ctx("+998901234567"), { legacyFormat: true });
    expect(legacy.startsWith("skenc1.local.")).toBe(true);
    // Another instance over the same key file derives the same context key: both formats open.
    expect(await cipher(key).decrypt(current, ctx("+998901234567"))).toBe(SESSION);
    expect(await cipher(key).decrypt(legacy, ctx("+998901234567"))).toBe(SESSION);
    await expect(cipher(key).decrypt(legacy, ctx("+998901234568"))).rejects.toBeInstanceOf(DecryptionError);
  });

  it("refuses a ciphertext moved to another phone", async () => {
    const c = cipher();
    const ct = await c.encrypt(SESSION, ctx("+998901234567"));
    await expect(c.decrypt(ct, ctx("+998901234568"))).rejects.toBeInstanceOf(DecryptionError);
    await expect(c.decrypt(ct, { purpose: "login", id: "+998901234567" })).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it.each([
    ["wrapped data key", 2],
    ["IV", 3],
    ["body", 4],
    ["tag", 5],
  ])("refuses a ciphertext with one bit flipped in the %s", async (_name, index) => {
    const c = cipher();
    const ct = await c.encrypt(SESSION, ctx("+998901234567"));
    await expect(c.decrypt(flipBit(ct, index), ctx("+998901234567"))).rejects.toBeInstanceOf(DecryptionError);
  });

  it("refuses a ciphertext under a different key, and says what to do", async () => {
    const ct = await cipher().encrypt(SESSION, ctx("+998901234567"));
    const err = await cipher()
      .decrypt(ct, ctx("+998901234567"))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as Error).message).toMatch(/Log this session in again/);
    expect((err as Error).message).not.toContain(SESSION.slice(1, 20));
  });

  it("refuses truncated or foreign formats", async () => {
    const c = cipher();
    const ct = await c.encrypt(SESSION, ctx("+1"));
    await expect(c.decrypt(ct.split(".").slice(0, 5).join("."), ctx("+1"))).rejects.toBeInstanceOf(
      DecryptionError,
    );
    await expect(c.decrypt(ct.replace(".local.", ".kms."), ctx("+1"))).rejects.toThrow(/kms key/);
    await expect(c.decrypt(SESSION, ctx("+1"))).rejects.toBeInstanceOf(DecryptionError);
  });

  it("generates the local key once into the data folder, readable only by its owner", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sk-key-"));
    const first = await createCipher({ kind: "local", dataDir: dir });
    const ct = await first.encrypt(SESSION, ctx("+1"));
    const keyFile = join(dir, "session-encryption.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, "utf8"), "base64")).toHaveLength(32);
    const second = await createCipher({ kind: "local", dataDir: dir });
    expect(await second.decrypt(ct, ctx("+1"))).toBe(SESSION);
  });
});
