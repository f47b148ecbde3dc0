/**
 * 1,000 forged webhook calls against the real handler (in-process, DynamoDB Local, Bot API replaced): no secret,
 * a wrong secret of the right length (and other near misses), and the right secret replaying an update already
 * processed. Counted: Bot API calls made and DynamoDB writes/items, before and after. Zero processed without the
 * secret, zero processed twice.
 *
 * Catches: a secret check that compares by prefix or length, accepts an empty/missing header, or runs after the body
 * is parsed and the bot built (a forged call then costs a getMe and a write); and a processed-once claim that lets a
 * replay through (a second reply, a second "add session").
 */
import { randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Update } from "grammy/types";
import { createHandler } from "../../functions/admin-bot";
import { captureOutput } from "../support/capture-logs";
import { counters } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";
import { BOT_TOKEN, createWebhookRig, WEBHOOK_SECRET, type WebhookRig } from "../support/reliability-webhook";

process.env.LOG_LEVEL = "DEBUG";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" } as const;
const FORGED = 1_000;

/** A wrong secret of exactly the right length: one character changed, at a random place. */
function nearMiss(): string {
  const i = randomInt(WEBHOOK_SECRET.length);
  const swap = WEBHOOK_SECRET[i] === "x" ? "y" : "x";
  return `${WEBHOOK_SECRET.slice(0, i)}${swap}${WEBHOOK_SECRET.slice(i + 1)}`;
}

const WRONG_SECRETS: (() => string | null)[] = [
  () => null,
  () => "",
  nearMiss,
  nearMiss,
  () => WEBHOOK_SECRET.toUpperCase(),
  () => `${WEBHOOK_SECRET}x`,
  () => WEBHOOK_SECRET.slice(0, -1),
  () => ` ${WEBHOOK_SECRET}`,
  () => WEBHOOK_SECRET.replace(/e/g, "е"), // Cyrillic look-alike
  () => "x".repeat(257),
];

let rig: WebhookRig;
beforeAll(async () => {
  rig = await createWebhookRig(OWNER);
});

describe("forged webhook calls", () => {
  it(
    `${FORGED.toLocaleString("en-US")} forged calls: none processed without the secret, none processed twice`,
    { timeout: 120_000 },
    async (ctx) => {
      const c = counters(ctx);
      await scanLogs(
        c,
        () => [WEBHOOK_SECRET, BOT_TOKEN],
        async () => {
          // The updates that really came from Telegram, each processed once.
          const genuine: Update[] = [];
          for (let i = 0; i < 10; i++) {
            const update = rig.updates.text(OWNER, "/start");
            genuine.push(update);
            expect((await rig.call(rig.event(JSON.stringify(update), WEBHOOK_SECRET))).statusCode).toBe(200);
          }
          expect(rig.api.callsOf("sendMessage")).toHaveLength(10);
          const apiCallsBefore = rig.api.calls.length;
          const itemsBefore = await rig.snapshot();

          let withoutSecret = 0;
          let replays = 0;
          const statuses = new Map<number, number>();
          for (let i = 0; i < FORGED; i++) {
            const requestsBefore = rig.requests.length;
            let status: number | undefined;
            if (i % 3 === 2) {
              // The right secret, an update already processed (Telegram's retry, or an attacker who captured one).
              const update = genuine[randomInt(genuine.length)]!;
              status = (await rig.call(rig.event(JSON.stringify(update), WEBHOOK_SECRET))).statusCode;
              // Only the claim is tried (a conditional write that fails): nothing else is read or written.
              const writes = rig.requests.slice(requestsBefore).filter((r) => r.write);
              expect(writes.map((w) => w.key)).toEqual([
                `UPDATE#${BOT_TOKEN.split(":")[0]}#${update.update_id}/update`,
              ]);
              expect(status).toBe(200);
              replays++;
            } else {
              // A fresh, valid-looking update from the admin, with no secret or a wrong one: refused before anything.
              const secret = WRONG_SECRETS[i % WRONG_SECRETS.length]!();
              const update = rig.updates.text(OWNER, i % 2 ? "/start" : "/add");
              const event = rig.event(JSON.stringify(update), secret);
              if (i % 7 === 0 && secret !== null) {
                // The header under another spelling of its name: still only the value counts.
                event.headers = { "X-Telegram-Bot-Api-Secret-Token": secret };
              }
              const res = await rig.call(event);
              expect(res.thrown).toBeUndefined();
              status = res.statusCode;
              expect(status).toBe(401);
              expect(rig.requests.length).toBe(requestsBefore);
              withoutSecret++;
            }
            statuses.set(status!, (statuses.get(status!) ?? 0) + 1);
            c.forgedRefused++;
          }
          c.inputs += FORGED;

          // Not one Bot API call, not one new or changed item beyond the replays' untouched claims.
          expect(rig.api.calls.length - apiCallsBefore).toBe(0);
          expect(await rig.snapshot()).toEqual(itemsBefore);
          expect(withoutSecret + replays).toBe(FORGED);
          expect(Object.fromEntries(statuses)).toEqual({ 401: withoutSecret, 200: replays });

          // And the genuine chat still works afterwards.
          const next = rig.updates.text(OWNER, "/start");
          expect((await rig.call(rig.event(JSON.stringify(next), WEBHOOK_SECRET))).statusCode).toBe(200);
          expect(rig.api.callsOf("sendMessage")).toHaveLength(11);
        },
      );
    },
  );

  it("a secret that is empty at start-up refuses to serve at all", async (ctx) => {
    const c = counters(ctx);
    const handler = createHandler({ env: { ...rig.store.env, BOT_TOKEN, WEBHOOK_SECRET: "" } });
    const { result } = await captureOutput(() =>
      handler(rig.event(JSON.stringify(rig.updates.text(OWNER, "/start")), "")).then(
        () => "accepted",
        () => "refused",
      ),
    );
    c.inputs++;
    c.forgedRefused++;
    expect(result).toBe("refused");
  });
});
