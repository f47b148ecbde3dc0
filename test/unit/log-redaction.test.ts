/** Secrets registered for masking stay masked as long as anyone still holds them. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { forgetSecret, REDACTED, redactingReplacer, redactText, registerSecret } from "../../lib/log";

describe("registered secrets", () => {
  it("a password registered by the form and again by the login step stays masked until both forget it", () => {
    const password = "correct horse battery";
    registerSecret(password);
    registerSecret(password);
    forgetSecret(password);
    expect(redactText(`step failed for ${password}`)).not.toContain(password);
    forgetSecret(password);
    expect(redactText(`after the step: ${password}`)).toContain(password);
  });
});

describe("masks that hold", () => {
  const sessionString = `1${randomBytes(276).toString("base64")}`;
  const botToken = `7312345678:${randomBytes(26).toString("base64url")}`;

  function logged(fields: Record<string, unknown>): string {
    return JSON.stringify(fields, redactingReplacer);
  }

  it("masks a bot token inside a Bot API URL, also with its colon percent-encoded", () => {
    const url = `https://api.telegram.org/bot${botToken}/sendMessage`;
    expect(redactText(`request to ${url} failed`)).toBe(
      "request to https://api.telegram.org/bot[REDACTED]/sendMessage failed",
    );
    expect(redactText(encodeURIComponent(url))).not.toContain(botToken.split(":")[1]);
  });

  it("masks a session string URL-encoded, wrapped over lines (real or escaped breaks, indented) and base64url", () => {
    const wrapped = sessionString.match(/.{1,64}/g)!;
    for (const shape of [
      encodeURIComponent(sessionString),
      wrapped.join("\n"),
      wrapped.join("\r\n"),
      wrapped.join("\n    "),
      wrapped.join("\\n"),
      Buffer.from(sessionString.slice(1), "base64").toString("base64url"),
    ]) {
      const out = redactText(`session: ${shape}; done`);
      expect(out).toBe("session: [REDACTED]; done");
    }
  });

  it("keeps ordinary text: short words over lines, a URL, a stack", () => {
    const text =
      "first line\nsecond line\nhttps://example.com/a/b?c=d%20e\n    at handler (/var/task/index.js:12:3)";
    expect(redactText(text)).toBe(text);
  });

  it("masks fields named digits, otp, text, pin, phoneCode, newPassword, and a login code under `code`", () => {
    const out = JSON.parse(
      logged({
        digits: "52817",
        otp: "123456",
        text: "my password is hunter2",
        pin: 1234,
        phoneCode: "5 2 8 1 7",
        newPassword: "x",
        code: "5.2.8.1.7",
        nested: { code: 52817 },
      }),
    ) as Record<string, unknown>;
    expect(out).toEqual({
      digits: REDACTED,
      otp: REDACTED,
      text: REDACTED,
      pin: REDACTED,
      phoneCode: REDACTED,
      newPassword: REDACTED,
      code: REDACTED,
      nested: { code: REDACTED },
    });
  });

  it("keeps error codes and yes/no facts an operator searches for", () => {
    const fields = {
      code: "AUTH_KEY_UNREGISTERED",
      errorCode: 401,
      other: { code: -503 },
      passwordSet: true,
    };
    expect(JSON.parse(logged(fields))).toEqual(fields);
  });

  it("logs a Buffer or typed array as its size, never as an array of its bytes", () => {
    const authKey = randomBytes(256);
    const out = logged({ authKey2: authKey, view: new Uint8Array(authKey), raw: authKey.buffer });
    expect(out).not.toMatch(/\d+,\d+,\d+/);
    expect(JSON.parse(out)).toEqual({
      authKey2: "[binary, 256 bytes]",
      view: "[binary, 256 bytes]",
      raw: `[binary, ${authKey.buffer.byteLength} bytes]`,
    });
  });

  it("masks a registered password shorter than 4 characters where it stands alone, not inside other words", () => {
    registerSecret("ab1");
    try {
      expect(redactText("password ab1 refused; table ab12 kept")).toBe(
        "password [REDACTED] refused; table ab12 kept",
      );
    } finally {
      forgetSecret("ab1");
    }
    expect(redactText("password ab1")).toBe("password ab1");
  });

  it("ignores a blank registration", () => {
    registerSecret("  ");
    expect(redactText("a  b")).toBe("a  b");
    forgetSecret("  ");
  });
});
