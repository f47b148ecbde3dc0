import { randomBytes } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { createLogger, registerSecret } from "../../lib/log";
import { normalizePhone } from "../../lib/sessions";
import { captureOutput } from "../support/capture-logs";
import { createTestStore } from "../support/dynamo";

describe("logs never carry a secret", () => {
  it("logs session creation, reads and failures with the phone, and no session string, ciphertext or token", async () => {
    const store = await createTestStore();
    const sessionString = `1${randomBytes(276).toString("base64")}`;
    const botToken = `7312345678:${randomBytes(26).toString("base64url")}`;
    const loginCode = "52817";
    const password = "correct horse battery staple";
    const logger = createLogger({
      service: "test",
      level: "DEBUG",
      persistentKeys: { function: "log-secrets-test" },
    });
    const repo = store.sessions({ logger });
    const phone = normalizePhone("+998901112233");

    const { output } = await captureOutput(async () => {
      await repo.create({ phone, sessionString, account: { userId: "42", username: "acc" } });
      await repo.readSessionString(phone);
      await repo.markError(phone, {
        message: "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
        code: "AUTH_KEY_UNREGISTERED",
      });
      // Mistakes a developer could make: secrets under innocent keys, inside messages and errors.
      registerSecret(loginCode);
      registerSecret(password);
      const ciphertext = (await store.doc.send(new ScanCommand({ TableName: store.sessionsTable })))
        .Items![0]!.sessionCiphertext as string;
      logger.info("debug dump", { value: sessionString, blob: ciphertext, env: { BOT_TOKEN: botToken } });
      logger.info(`user typed ${loginCode} and ${password}`);
      logger.error(
        "login failed",
        new Error(`signIn failed for session ${sessionString} with token ${botToken}`),
      );
      logger.warn("step", { code: loginCode, errorCode: 401, password, sessionString, botToken });
      return ciphertext;
    });

    const lines = output
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        "Session created",
        "Session marked error",
        "debug dump",
        "login failed",
        "step",
      ]),
    );
    const failed = lines.find((l) => l.message === "Session marked error")!;
    expect(failed).toMatchObject({
      phone,
      code: "AUTH_KEY_UNREGISTERED",
      function: "log-secrets-test",
      service: "test",
    });
    expect(failed.error).toMatch(/^AUTH_KEY_UNREGISTERED/);
    expect(lines.find((l) => l.message === "step")).toMatchObject({ errorCode: 401 });

    for (const secret of [
      sessionString,
      sessionString.slice(1, 60),
      botToken,
      botToken.split(":")[1]!,
      loginCode,
      password,
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/skenc\d\.[A-Za-z]/);
    expect(output).toContain("[REDACTED]");
  });
});
