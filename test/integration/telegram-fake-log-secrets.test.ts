import { beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { API_HASH, harness, newPhone } from "../support/fake-telegram-harness";

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

describe("the userbot layer's logs carry no secret", () => {
  it("through logins (right and wrong codes and passwords), checks, failures and an import", async () => {
    const h = harness(store, { logLevel: "DEBUG" });
    const phone = newPhone();
    const password = "Tashkent-2026-secret";
    h.fake.addAccount({ phone, userId: 31337, password, hint: "city and year" });
    const imported = newPhone();
    h.fake.addAccount({ phone: imported, userId: 31338 });
    const importedString = await h.fake.sessionFor(imported);
    const errors: string[] = [];

    const { output } = await captureOutput(async () => {
      await h.another().login.startLogin(phone, "tg:1");
      const code = h.fake.codes.get(phone)!;
      const wrongCode = code === "11111" ? "22222" : "11111";
      await h.another().login.submitCode(phone, wrongCode);
      await h.another().login.submitCode(phone, code.split("").join(" "));
      await h.another().login.submitPassword(phone, "wrong-password-1");
      await h.another().login.submitPassword(phone, password);
      await h.another().userbots.checkSession(phone, { deadlineMs: 5_000, actor: "test" });
      await h.another().userbots.importSession(imported, importedString, "cli:ops");
      h.fake.revokeAll(phone);
      await h.another().userbots.checkSession(phone, { deadlineMs: 5_000, actor: "test" });
      await h
        .another()
        .withUserbot(phone, async () => undefined, { deadlineMs: 1_000, actor: "test" })
        .catch((e: unknown) => errors.push(String(e)));
      await h
        .another()
        .userbots.importSession(newPhone(), importedString.slice(0, 120), "cli:ops")
        .catch((e: unknown) => errors.push(String(e)));
    });

    const sessionString = await h.sessions.readSessionString(phone);
    const secrets = [
      h.fake.codes.get(phone)!,
      h.fake.codeHashes.get(phone)!,
      password,
      "wrong-password-1",
      sessionString,
      sessionString.slice(1, 60),
      importedString,
      importedString.slice(1, 60),
      API_HASH,
    ];
    const text = `${output}\n${errors.join("\n")}`;
    expect(output).toContain("Session logged in");
    expect(output).toContain("Session auth failed");
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
