/**
 * lib/wiring.ts: every entry point's dependencies from one configuration, on DynamoDB Local, with the costly parts
 * built only when first used.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../lib/log";
import { normalizePhone } from "../../lib/sessions";
import { createDependencies, importTelegram, type TelegramLoader } from "../../lib/wiring";
import { createTestStore, type TestStore } from "../support/dynamo";

const logger = createLogger({ service: "wiring-test", level: "SILENT" });
const account = { userId: "777002", username: "wired", firstName: "Wired" };

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

/** The test store's tables, with no key given: the local key file in a fresh data folder is the key. */
function envWithKeyFile(): { env: Record<string, string>; keyFile: string } {
  const { SESSION_ENCRYPTION_KEY: _given, ...env } = store.env;
  const dataDir = mkdtempSync(join(tmpdir(), "sk-wiring-"));
  return { env: { ...env, LOCAL_DATA_DIR: dataDir }, keyFile: join(dataDir, "session-encryption.key") };
}

describe("createDependencies", () => {
  it("builds the repositories of both tables from the configuration, and they share one store", async () => {
    const deps = createDependencies({ env: store.env, logger });
    try {
      expect(deps.config).toMatchObject({
        sessionsTable: store.sessionsTable,
        botStateTable: store.botStateTable,
      });
      const phone = normalizePhone("+998901110001");
      await deps.sessions.create({ phone, sessionString: `1${"B".repeat(200)}==`, account });
      // What one entry point wrote, the test's own repository (the other entry points' view) reads and decrypts.
      expect(await store.sessions().readSessionString(phone)).toBe(`1${"B".repeat(200)}==`);
      await deps.admins.add({ userId: "4242", addedBy: "cli:wiring" });
      expect((await deps.admins.get("4242"))?.userId).toBe("4242");
      await deps.audit.record({ action: "admin.added", actor: "cli:wiring", detail: "4242" });
      expect(await deps.audit.day(deps.now().toISOString().slice(0, 10))).toEqual([
        expect.objectContaining({ action: "admin.added", actor: "cli:wiring" }),
      ]);
    } finally {
      deps.close();
    }
  });

  it("reads or creates the local key only when a session string is sealed or opened", async () => {
    const { env, keyFile } = envWithKeyFile();
    const deps = createDependencies({ env, logger });
    try {
      await deps.sessions.listByStatus("active");
      expect(existsSync(keyFile)).toBe(false);
      await deps.sessions.create({
        phone: normalizePhone("+998901110002"),
        sessionString: `1${"C".repeat(200)}==`,
        account,
      });
      expect(existsSync(keyFile)).toBe(true);
    } finally {
      deps.close();
    }
  });

  it("loads the userbot layer on the first call only, retries a failed load, and refuses without a loader", async () => {
    let loads = 0;
    let failNext = true;
    const counting: TelegramLoader = {
      layer: async () => {
        loads += 1;
        if (failNext) {
          failNext = false;
          throw new Error("load failed");
        }
        return importTelegram.layer();
      },
    };
    const deps = createDependencies({ env: store.env, logger, telegram: counting });
    try {
      expect(loads).toBe(0);
      await expect(deps.userbots()).rejects.toThrow("load failed");
      const [a, b] = await Promise.all([deps.userbots(), deps.userbots()]);
      expect(a).toBe(b);
      expect(typeof a.userbots.checkSession).toBe("function");
      expect(loads).toBe(2);
    } finally {
      deps.close();
    }
    const without = createDependencies({ env: store.env, logger });
    await expect(without.userbots()).rejects.toThrow(/without the userbot layer/);
    without.close();
  });
});
