/**
 * Every parser of outside input, fed what the outside can send (fast-check): phone numbers, login codes typed with
 * any separators, callback data, CLI arguments, webhook bodies. Each either parses or gives a typed, user-facing
 * answer; none throws anything else, and none writes except what a valid input is for.
 *
 * The bug each property catches is named beside it.
 */
import { Writable, Readable } from "node:stream";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../lib/cli/commands";
import { main } from "../../lib/cli/main";
import { InvalidPhoneError, isPhone, normalizePhone, type Phone } from "../../lib/sessions/phone";
import { LOCALES } from "../../lib/bot/locales";
import { cb } from "../../lib/bot/callback-data";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, newPhone } from "../support/fake-telegram-harness";
import { counters } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";
import { BOT_TOKEN, createWebhookRig, WEBHOOK_SECRET, type WebhookRig } from "../support/reliability-webhook";

process.env.LOG_LEVEL = "DEBUG";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" } as const;
const en = LOCALES.en;

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

// ------------------------------------------------------------------ phone numbers

/** Numbers of real plans (and a Telegram test number), in E.164. */
const VALID = [
  "+998901234567",
  "+998935550101",
  "+14155552671",
  "+442071838750",
  "+4915123456789",
  "+79161234567",
  "+33612345678",
  "+919876543210",
  "+9996612345",
] as const;

/** A valid number as a person may type it: separators between digits, no "+", "00" for "+", spaces around. */
const typedVariant = fc
  .record({
    number: fc.constantFrom(...VALID),
    seps: fc.array(fc.constantFrom("", "", "", " ", "-", ".", "(", ")"), { minLength: 15, maxLength: 15 }),
    prefix: fc.constantFrom("+", "", "00"),
    pad: fc.constantFrom("", " ", "\t", "  "),
  })
  .map(({ number, seps, prefix, pad }) => {
    const digits = number.slice(1).split("");
    const body = digits.map((d, i) => (i === 0 ? d : `${seps[i] ?? ""}${d}`)).join("");
    return { number, typed: `${pad}${prefix}${body}${pad}` };
  });

describe("phone numbers", () => {
  it("any string is either a valid E.164 Phone or InvalidPhoneError, never another throw; normalising is idempotent", (ctx) => {
    const c = counters(ctx);
    // Catches: a parser that throws a TypeError/RangeError on odd Unicode, that returns a non-E.164 string, or
    // that is not idempotent (a key stored in one form and looked up in another).
    const anyInput = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(..."+0123456789 ()-.x\u00a0\u0660٣"), maxLength: 36 }),
      fc.stringMatching(/^\+?\d{0,18}$/),
      typedVariant.map((v) => v.typed),
    );
    fc.assert(
      fc.property(anyInput, (input) => {
        c.inputs++;
        let phone: Phone;
        try {
          phone = normalizePhone(input);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPhoneError);
          const message = (err as Error).message;
          expect(message).toContain("Write it with the country code");
          // The echo of the input is bounded: a 1 MB "phone" never becomes a 1 MB message.
          expect(message.length).toBeLessThan(200);
          return;
        }
        expect(phone).toMatch(/^\+\d{6,15}$/);
        expect(normalizePhone(phone)).toBe(phone);
        expect(isPhone(phone)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("every formatting variant of a valid number normalises to the same Phone", (ctx) => {
    const c = counters(ctx);
    // Catches: separators or the "00"/missing "+" prefix making two sessions of one number.
    fc.assert(
      fc.property(typedVariant, ({ number, typed }) => {
        c.inputs++;
        expect(normalizePhone(typed)).toBe(normalizePhone(number));
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ login codes

describe("login codes typed with any separators", () => {
  it("the digits typed, whatever is between them, are exactly what reaches Telegram's auth.SignIn", async (ctx) => {
    const c = counters(ctx);
    const h = harness(store, { logLevel: "DEBUG" });
    const signIns: string[] = [];
    const invoke = h.fake.invoke.bind(h.fake);
    h.fake.invoke = (client, request) => {
      if (request.className === "auth.SignIn") signIns.push((request as { phoneCode: string }).phoneCode);
      return invoke(client, request);
    };
    const separator = fc.string({
      unit: fc.constantFrom(" ", "  ", "-", ".", "a", "Z", "_", "/", "\u00a0", "٣", "😀", "\n", "·"),
      maxLength: 3,
    });
    const secrets: string[] = [];
    // Catches: a code parser that keeps a separator (Telegram answers PHONE_CODE_INVALID), drops or reorders a
    // digit, or reads a non-ASCII digit as a digit; and a log line that carries the code.
    await scanLogs(
      c,
      () => [...secrets, ...h.fake.codes.values()],
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(separator, { minLength: 6, maxLength: 6 }), async (seps) => {
            c.inputs++;
            const phone = newPhone();
            h.fake.addAccount({ phone, userId: 8000 });
            await h.services.login.startLogin(phone, "tg:1001");
            const code = h.fake.codes.get(phone)!;
            secrets.push(code);
            const typed = seps.map((s, i) => `${s}${code[i] ?? ""}`).join("");
            signIns.length = 0;
            const outcome = await h.services.login.submitCode(phone, typed);
            expect(signIns).toEqual([code]);
            expect(outcome).toMatchObject({ kind: "logged-in", session: { phone, status: "active" } });
          }),
          { numRuns: 40 },
        );
      },
    );
  });

  it("text with the wrong number of digits is refused without asking Telegram, spending an attempt or writing", async (ctx) => {
    const c = counters(ctx);
    const h = harness(store, { logLevel: "DEBUG" });
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 8001 });
    await scanLogs(
      c,
      () => h.fake.codes.values(),
      () => h.services.login.startLogin(phone, "tg:1001"),
    );
    const flowBefore = await store.doc.send(
      new ScanCommand({
        TableName: store.botStateTable,
        FilterExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `LOGIN#${phone}` },
      }),
    );
    const callsBefore = h.fake.calls.length;
    // Catches: a non-code spending one of the three attempts, or asking Telegram (each ask counts toward
    // Telegram's own login flood limit).
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 30 }).filter((s) => s.replace(/\D/g, "").length !== 5),
        async (text) => {
          c.inputs++;
          const outcome = await h.services.login.submitCode(phone, text);
          expect(outcome).toMatchObject({ kind: "wrong-code", flow: { attemptsLeft: 3 } });
        },
      ),
      { numRuns: 100 },
    );
    expect(h.fake.calls.length).toBe(callsBefore);
    const flowAfter = await store.doc.send(
      new ScanCommand({
        TableName: store.botStateTable,
        FilterExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `LOGIN#${phone}` },
      }),
    );
    expect(flowAfter.Items).toEqual(flowBefore.Items);
  });
});

// ------------------------------------------------------------------ callback data

describe("callback data", () => {
  let rig: WebhookRig;
  beforeAll(async () => {
    rig = await createWebhookRig(OWNER);
  });

  it("any string of up to 64 bytes gets a parsed action or a clear notice; nothing escapes to grammY", async (ctx) => {
    const c = counters(ctx);
    const known = [cb.menu, cb.sessions, cb.addSession, cb.cancel, cb.admins, cb.addAdmin, cb.languages];
    const prefixes = ["l:", "p:", "o:", "x:", "r:", "c:", "d:", "D:", "ar:", "aR:", "L:", "m", "zz:"];
    const data = fc
      .oneof(
        fc.string({ maxLength: 64 }),
        fc.string({ unit: "binary", maxLength: 64 }),
        fc.constantFrom(...known),
        fc
          .tuple(
            fc.constantFrom(...prefixes),
            fc.oneof(
              fc.string({ maxLength: 40 }),
              fc.constantFrom(
                "+998901234567",
                "+998901234567:1",
                "+998901234567:999999999",
                "1001",
                "a",
                "en",
              ),
              fc.stringMatching(/^\+?\d{1,16}(:\d{1,12})?$/),
              fc.stringMatching(/^[A-Za-z0-9_-]{8}$/),
            ),
          )
          .map(([p, s]) => `${p}${s}`),
      )
      .filter((s) => s.length > 0 && Buffer.byteLength(s, "utf8") <= 64);
    // Catches: a handler that throws on data it did not draw (the error boundary then says "Something went
    // wrong"), a button left spinning (no answerCallbackQuery), a 5xx (Telegram re-sends the press forever), or a
    // press that writes to the sessions table.
    await scanLogs(
      c,
      () => [BOT_TOKEN, WEBHOOK_SECRET],
      async () => {
        const sessionsBefore = await rig.store.doc.send(
          new ScanCommand({ TableName: rig.store.sessionsTable }),
        );
        await fc.assert(
          fc.asyncProperty(data, async (payload) => {
            c.inputs++;
            rig.api.reset();
            const update = rig.updates.press(OWNER, payload);
            const res = await rig.call(rig.event(JSON.stringify(update), WEBHOOK_SECRET));
            expect(res.thrown).toBeUndefined();
            expect(res.statusCode).toBe(200);
            const answers = rig.api.callsOf("answerCallbackQuery");
            expect(answers.length).toBeGreaterThanOrEqual(1);
            const said = rig.api.calls.map((call) => String(call.payload.text ?? ""));
            expect(said).not.toContain(en.failed);
          }),
          { numRuns: 150 },
        );
        const sessionsAfter = await rig.store.doc.send(
          new ScanCommand({ TableName: rig.store.sessionsTable }),
        );
        expect(sessionsAfter.Items).toEqual(sessionsBefore.Items);
      },
    );
  });
});

// ------------------------------------------------------------------ CLI arguments

function memoryStream(): Writable & { text: string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { text: string };
  Object.defineProperty(stream, "text", { get: () => chunks.join("") });
  return stream;
}

describe("CLI arguments", () => {
  it("random argv exits 0, 1 or 2 with no stack trace, and a refused command writes nothing", async (ctx) => {
    const c = counters(ctx);
    const cliStore = await createTestStore();
    const env = {
      ...cliStore.env,
      LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), "sk-rel-cli-")),
      NO_COLOR: "1",
    };
    const names = [...COMMANDS.map((x) => x.name), "help", "--help", "-h"];
    const options = [
      "--yes",
      "-y",
      "--json",
      "--status",
      "--owner",
      "--older-than-days",
      "--help",
      "-h",
      "--",
      "-",
      "--status=error",
      "--nope",
      "-z",
    ];
    const token = fc.oneof(
      fc.constantFrom(...options),
      fc.constantFrom(
        "+998901234567",
        "998 90 123 45 67",
        "12345",
        "-5",
        "0",
        "active",
        "error",
        "deleted",
        "1e3",
        "NaN",
      ),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: "binary", maxLength: 12 }),
    );
    const argv = fc.tuple(
      fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })),
      fc.array(token, { maxLength: 4 }),
    );
    const snapshot = async () => {
      const out: string[] = [];
      for (const table of [cliStore.sessionsTable, cliStore.botStateTable]) {
        const items = (await cliStore.doc.send(new ScanCommand({ TableName: table }))).Items ?? [];
        out.push(...items.map((i) => JSON.stringify(i)).sort());
      }
      return out;
    };
    // Catches: an argument that crashes the parser (a raw TypeError and stack trace instead of a usage line), an
    // exit code scripts cannot rely on, and a command refused half-way after it already changed something.
    await fc.assert(
      fc.asyncProperty(argv, async ([command, rest]) => {
        c.inputs++;
        const stdout = memoryStream();
        const stderr = memoryStream();
        const before = await snapshot();
        const code = await main([command, ...rest], { stdout, stderr, stdin: Readable.from([]) }, env);
        expect([0, 1, 2]).toContain(code);
        const printed = `${stdout.text}\n${stderr.text}`;
        expect(printed).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(printed).not.toMatch(/TypeError|ReferenceError|\[object Object\]/);
        if (code !== 0) expect(stderr.text.trim()).not.toBe("");
        if (code !== 0) expect(await snapshot()).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});

// ------------------------------------------------------------------ webhook bodies

describe("webhook bodies", () => {
  let rig: WebhookRig;
  beforeAll(async () => {
    rig = await createWebhookRig(OWNER);
    // A warm container: the bot's own getMe is cached by the first authenticated update, not by the fuzz.
    await captureOutput(() =>
      rig.call(rig.event(JSON.stringify(rig.updates.text(OWNER, "/start")), WEBHOOK_SECRET)),
    );
  });

  it("malformed, oversized, mistyped or unknown bodies get 200 (never 5xx, never a throw) and write nothing but a valid admin update's claim", async (ctx) => {
    const c = counters(ctx);
    const updateId = fc.oneof(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.constantFrom("1", 1.5, -1, 2 ** 60, null, true, [], {}),
    );
    const user = fc.oneof(
      fc.constant(OWNER),
      fc.record({
        id: fc.oneof(fc.integer(), fc.constant("1001"), fc.constant(null)),
        is_bot: fc.boolean(),
        first_name: fc.anything(),
      }),
      fc.anything(),
    );
    const chat = fc.oneof(
      fc.constant({ id: OWNER.id, type: "private", first_name: "Owner" }),
      fc.record({ id: fc.anything(), type: fc.constantFrom("private", "group", "supergroup", "channel", 5) }),
      fc.anything(),
    );
    const message = fc.record(
      {
        message_id: fc.oneof(fc.nat(), fc.anything()),
        date: fc.oneof(fc.nat(), fc.string()),
        chat,
        from: user,
        text: fc.oneof(
          fc.constantFrom("/start", "/add", "/cancel", "/admins", "hello", "+998901234567"),
          fc.string(),
          fc.anything(),
        ),
        entities: fc.oneof(fc.constant([{ type: "bot_command", offset: 0, length: 6 }]), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const callback = fc.record(
      {
        id: fc.oneof(fc.string(), fc.anything()),
        from: user,
        data: fc.oneof(fc.constantFrom("m", "s", "zz"), fc.anything()),
        chat_instance: fc.string(),
        message: fc.oneof(message, fc.anything()),
      },
      { requiredKeys: [] },
    );
    const kind = fc.constantFrom(
      "message",
      "edited_message",
      "callback_query",
      "channel_post",
      "inline_query",
      "my_chat_member",
      "poll",
      "business_message",
      "unknown_future_update",
    );
    const update = fc
      .tuple(
        updateId,
        kind,
        fc.oneof(message, callback, fc.anything()),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 2 }),
      )
      .map(([id, k, payload, extra]) => ({ ...extra, update_id: id, [k]: payload }));
    const body = fc.oneof(
      update.map((u) => JSON.stringify(u)),
      fc.json(),
      fc.anything().map((x) => JSON.stringify(x) ?? "undefined"),
      update.chain((u) => {
        const text = JSON.stringify(u);
        return fc.nat(text.length).map((n) => text.slice(0, n));
      }),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.constantFrom("", "null", "[]", "{}", '{"update_id":', "\u0000", '{"update_id":1e400}'),
    );
    const isAdminUpdate = (raw: string): number | undefined => {
      try {
        const u = JSON.parse(raw) as Record<string, unknown>;
        return Number.isInteger(u.update_id) ? (u.update_id as number) : undefined;
      } catch {
        return undefined;
      }
    };
    // Catches: a body that makes the handler throw or answer 5xx (Telegram then re-sends it forever and the chat
    // queue stalls), a parse that writes before it knows the body is an update, and a malformed update that leaves
    // more than its processed-once claim behind.
    await scanLogs(
      c,
      () => [BOT_TOKEN, WEBHOOK_SECRET],
      async () => {
        const run = async (event: ReturnType<WebhookRig["event"]>, raw: string) => {
          c.inputs++;
          const from = rig.requests.length;
          const res = await rig.call(event);
          expect(res.thrown).toBeUndefined();
          expect(res.statusCode).toBe(200);
          const writes = rig.requests.slice(from).filter((r) => r.write);
          const id = isAdminUpdate(raw);
          const allowed = (w: (typeof writes)[number]) =>
            id !== undefined &&
            // An update from an admin: its claim, and what the admin's command legitimately does; from anyone else,
            // the hourly refusal mark (by design the only thing a stranger can make the bot write).
            (w.key === `UPDATE#${BOT_TOKEN.split(":")[0]}#${id}/update` ||
              w.key === `INPUT#${OWNER.id}/input` ||
              w.key.startsWith("PAGE#") ||
              w.key.startsWith("STRANGER#"));
          expect(writes.filter((w) => !allowed(w))).toEqual([]);
          if (id === undefined) expect(rig.requests.length).toBe(from);
        };
        await fc.assert(
          fc.asyncProperty(body, async (raw) => run(rig.event(raw, WEBHOOK_SECRET), raw)),
          { numRuns: 400 },
        );
        // The named cases: 1 MB bodies (JSON and not), base64 bodies, a missing body.
        const big = JSON.stringify({ update_id: 9_000_001, message: { text: "x".repeat(1024 * 1024) } });
        await run(rig.event(big, WEBHOOK_SECRET), big);
        await run(rig.event("{".repeat(1024 * 1024), WEBHOOK_SECRET), "");
        await run(
          rig.event(Buffer.from('{"update_id": 9000002}').toString("base64"), WEBHOOK_SECRET, {
            isBase64Encoded: true,
          }),
          '{"update_id": 9000002}',
        );
        await run(
          rig.event(Buffer.from("garbage").toString("base64"), WEBHOOK_SECRET, { isBase64Encoded: true }),
          "",
        );
        await run(rig.event(undefined, WEBHOOK_SECRET), "");
      },
    );
  });
});
