import { beforeAll, describe, expect, it } from "vitest";
import { AdminError, AdminRepository, parseUserId } from "../../lib/bot-state/admins";
import { AuditLog } from "../../lib/bot-state/audit";
import { createTestStore, type TestStore } from "../support/dynamo";

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

describe("admins", () => {
  it("adds the first owner, then admins; adding twice changes nothing", async () => {
    const admins = new AdminRepository(store.doc, store.botStateTable);
    expect((await admins.add({ userId: "1001", role: "owner", addedBy: "cli" })).created).toBe(true);
    expect((await admins.add({ userId: " 1002 ", addedBy: "tg:1001" })).admin).toMatchObject({
      userId: "1002",
      role: "admin",
    });
    expect((await admins.add({ userId: "1002", addedBy: "tg:1001" })).created).toBe(false);
    expect((await admins.list()).map((a) => a.userId).sort()).toEqual(["1001", "1002"]);
    expect(await admins.get("999")).toBeUndefined();
  });

  it("never removes the last owner, and says what to do instead", async () => {
    const s = await createTestStore();
    const admins = new AdminRepository(s.doc, s.botStateTable);
    await admins.add({ userId: "1", role: "owner", addedBy: "cli" });
    await admins.add({ userId: "2", addedBy: "tg:1" });
    await expect(admins.remove("1")).rejects.toThrow(/last owner .* Make another admin an owner first/);
    await admins.add({ userId: "2", role: "owner", addedBy: "tg:1" });
    await admins.remove("1");
    expect((await admins.list()).map((a) => [a.userId, a.role])).toEqual([["2", "owner"]]);
    await expect(admins.remove("77")).rejects.toBeInstanceOf(AdminError);
  });

  it("keeps a language choice per admin", async () => {
    const admins = new AdminRepository(store.doc, store.botStateTable);
    await admins.add({ userId: "3001", addedBy: "cli" });
    await admins.setLanguage("3001", "uz");
    expect((await admins.get("3001"))?.language).toBe("uz");
  });

  it.each(["", "abc", "-5", "0", "0123", "123456789012345678901", "1e5", "1.5", "１２３", "12 34", "+12"])(
    "refuses %j as a user id, saying what one looks like",
    (input) => {
      expect(() => parseUserId(input)).toThrow(/is not a Telegram user id.*digits only, no leading zero/);
    },
  );

  it("keeps ids past 2^53 and up to 20 digits exactly as typed, through the table and back", async () => {
    const admins = new AdminRepository(store.doc, store.botStateTable);
    for (const id of ["9007199254740993", "12345678901234567", "18446744073709551615"]) {
      expect(parseUserId(` ${id} `)).toBe(id);
      expect((await admins.add({ userId: id, addedBy: "cli" })).admin.userId).toBe(id);
      expect((await admins.get(id))?.userId).toBe(id);
    }
    // 9007199254740992 is someone else: it must not be found as the person added above.
    expect(await admins.get("9007199254740992")).toBeUndefined();
    expect((await admins.remove("9007199254740993")).userId).toBe("9007199254740993");
  });
});

describe("audit trail", () => {
  it("records entries by day, oldest first", async () => {
    let t = Date.parse("2026-04-01T10:00:00.000Z");
    const audit = new AuditLog(store.doc, store.botStateTable, () => new Date((t += 1000)));
    await audit.record({ action: "session.deleted", actor: "tg:1", phone: "+998901234567" });
    await audit.record({
      action: "cleanup.deleted",
      actor: "schedule:cleanup",
      phone: "+998901234568",
      detail: "error for 31 days",
    });
    const day = await audit.day("2026-04-01");
    expect(day.map((e) => e.action)).toEqual(["session.deleted", "cleanup.deleted"]);
    expect(day[1]).toMatchObject({ actor: "schedule:cleanup", detail: "error for 31 days" });
  });
});
