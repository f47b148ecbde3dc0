/**
 * Masks that hold: secrets logged on purpose in the shapes a plain "find this string" mask misses, each through the
 * logger every entry point uses (or through a real path: a 2FA login with a 3-character password, an admin pasting a
 * session string into the chat), then every captured line scanned for the secret in all its shapes. Each probe adds
 * to the "mask probes" of the reliability summary line.
 *
 * Catches: a bot token masked only when it follows a word boundary (".../bot123456:AA.../sendMessage" is not), a
 * session string masked only as one unbroken base64 run (URL-encoded or wrapped at 64 columns it is not), secrets under
 * keys the key list forgot (`digits`, `otp`, `text`), a Buffer logged as an array of its bytes, and a short 2FA
 * password never registered for masking.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger, forgetSecret, redactText, registerSecret } from "../../lib/log";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, newPhone } from "../support/fake-telegram-harness";
import { counters } from "../support/reliability-counters";
import { findSecrets, scanLogs } from "../support/reliability-logs";
import { BOT_TOKEN, createWebhookRig, WEBHOOK_SECRET } from "../support/reliability-webhook";

process.env.LOG_LEVEL = "DEBUG";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" } as const;

const sessionString = `1${randomBytes(276).toString("base64")}`;
const botToken = `7312345678:${randomBytes(26).toString("base64url")}`;
const wrapped = sessionString.match(/.{1,64}/g)!;

/** Each probe: the secret, and what a careless line does with it. */
const PROBES: { name: string; secret: string; log: (logger: ReturnType<typeof createLogger>) => void }[] = [
  {
    name: "bot token inside a Bot API URL",
    secret: botToken,
    log: (l) =>
      l.error(`request to https://api.telegram.org/bot${botToken}/sendMessage failed, reason: ECONNRESET`),
  },
  {
    name: "bot token URL-encoded in a query",
    secret: botToken,
    log: (l) =>
      l.warn("redirect", { next: `https://example.com/?u=${encodeURIComponent(`bot${botToken}`)}` }),
  },
  {
    name: "session string URL-encoded",
    secret: sessionString,
    log: (l) => l.info("form body", { body: `phone=%2B998901234567&s=${encodeURIComponent(sessionString)}` }),
  },
  {
    name: "session string wrapped at 64 columns",
    secret: sessionString,
    log: (l) => l.info("pasted", { value: wrapped.join("\n") }),
  },
  {
    name: "session string wrapped with CRLF and an indent, inside an error",
    secret: sessionString,
    log: (l) => l.error("import failed", new Error(`cannot read:\r\n  ${wrapped.join("\r\n  ")}`)),
  },
  {
    name: "session string wrapped, already JSON-escaped",
    secret: sessionString,
    log: (l) => l.info(`raw ${JSON.stringify({ s: wrapped.join("\n") })}`),
  },
  { name: "keypad digits", secret: "52817", log: (l) => l.debug("keypad", { digits: "52817" }) },
  { name: "otp field", secret: "731904", log: (l) => l.debug("step", { otp: "731904" }) },
  { name: "text of a chat message", secret: "hunter2!", log: (l) => l.debug("update", { text: "hunter2!" }) },
  {
    name: "login code under `code`, dotted",
    secret: "6.1.4.0.2",
    log: (l) => l.debug("s", { code: "6.1.4.0.2" }),
  },
  { name: "login code under `code`, a number", secret: "61402", log: (l) => l.debug("s", { code: 61402 }) },
  { name: "phoneCode field", secret: "4 4 0 1 9", log: (l) => l.debug("s", { phoneCode: "4 4 0 1 9" }) },
  { name: "newPassword field", secret: "pa", log: (l) => l.debug("s", { newPassword: "pa" }) },
  {
    name: "auth key as a Buffer",
    secret: sessionString.slice(1, 40),
    log: (l) => l.debug("key", { key: Buffer.from(sessionString.slice(1, 40)) }),
  },
  {
    name: "auth key as a Uint8Array",
    secret: sessionString.slice(1, 40),
    log: (l) => l.debug("key", { key: new Uint8Array(Buffer.from(sessionString.slice(1, 40))) }),
  },
  {
    name: "registered 3-character password in a message",
    secret: "z9!",
    log: (l) => {
      registerSecret("z9!");
      try {
        l.warn("password z9! refused");
      } finally {
        forgetSecret("z9!");
      }
    },
  },
];

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

describe("masks that hold", () => {
  it("the scan itself finds every probe's secret when nothing masks it", () => {
    // Without this, a scan blind to a shape would pass every probe below.
    for (const probe of PROBES) {
      const lines: string[] = [];
      const raw = {
        info: (m: string, f?: unknown) => lines.push(JSON.stringify({ m, f }, rawReplacer)),
      };
      probe.log({ info: raw.info, warn: raw.info, error: raw.info, debug: raw.info } as never);
      expect(findSecrets(lines, [probe.secret]), probe.name).not.toEqual([]);
    }
  });

  it(`${PROBES.length} shapes logged through the logger: each masked, in logs and in text shown to people`, async (ctx) => {
    const c = counters(ctx);
    const logger = createLogger({ service: "mask-probes", level: "DEBUG" });
    for (const probe of PROBES) {
      c.maskProbes++;
      await scanLogs(
        c,
        () => [probe.secret],
        async () => probe.log(logger),
      );
    }
    const url = `https://api.telegram.org/bot${botToken}/getMe`;
    expect(redactText(`Bot API unreachable: ${url}`)).not.toContain(botToken);
    expect(redactText(`pasted: ${encodeURIComponent(sessionString)}`)).not.toContain("%2B");
  });

  it("a 2FA login with a 3-character password, at DEBUG: the password and the code are in no line", async (ctx) => {
    const c = counters(ctx);
    const h = harness(store, { logLevel: "DEBUG" });
    const phone = newPhone();
    const password = "q7#";
    h.fake.addAccount({ phone, userId: 8100, password, hint: "short" });
    c.maskProbes++;
    await scanLogs(
      c,
      () => [password, ...h.fake.codes.values()],
      async () => {
        await h.services.login.startLogin(phone, "tg:1001");
        const code = h.fake.codes.get(phone)!;
        expect(await h.services.login.submitCode(phone, code)).toMatchObject({ kind: "password-needed" });
        expect(await h.services.login.submitPassword(phone, "q8#")).toMatchObject({ kind: "wrong-password" });
        expect(await h.services.login.submitPassword(phone, password)).toMatchObject({ kind: "logged-in" });
      },
    );
  });

  it("an admin pasting a session string (URL-encoded, wrapped) and a Bot API URL into the chat: masked", async (ctx) => {
    const c = counters(ctx);
    const rig = await createWebhookRig(OWNER);
    for (const text of [
      encodeURIComponent(sessionString),
      wrapped.join("\n"),
      `https://api.telegram.org/bot${BOT_TOKEN}/getMe`,
    ]) {
      c.maskProbes++;
      await scanLogs(
        c,
        () => [sessionString, BOT_TOKEN, WEBHOOK_SECRET],
        async () => {
          const update = rig.updates.text(OWNER, text);
          expect((await rig.call(rig.event(JSON.stringify(update), WEBHOOK_SECRET))).statusCode).toBe(200);
        },
      );
    }
  });
});

/** Serialises the way a logger without masks would (Buffers as byte arrays, errors as their message). */
function rawReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}
