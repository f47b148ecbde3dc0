/**
 * 600 forged calls to the Mini App's login routes against the real handler (in-process, DynamoDB Local): initData
 * signed with another bot's token, tampered after signing (another user id, a later date, a field added or dropped),
 * too old, from the future, random strings, and correctly signed for someone who is not an admin. Each names a
 * code; none may reach Telegram, write an item, or say anything but "refused".
 *
 * Catches: an HMAC check that compares loosely or skips a field, a freshness check on the wrong side, an admin check
 * that runs after a write (a stranger's refusal mark, a spent attempt), and a refusal that logs the initData.
 */
import { randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { counters } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";
import { BOT_TOKEN, createWebhookRig, type WebhookRig } from "../support/reliability-webhook";
import { signInitData } from "../support/init-data";
import { miniAppEvent } from "../support/miniapp-events";

process.env.LOG_LEVEL = "DEBUG";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" } as const;
const FORGED = 600;
const OTHER_TOKEN = "7000000009:AAH-someone-elses-bot-0123456789abcdef";

const now = () => Math.floor(Date.now() / 1000);
const KINDS: (() => { initData: unknown; expect: number })[] = [
  () => ({ initData: signInitData(OTHER_TOKEN, { userId: OWNER.id }), expect: 401 }),
  () => ({
    initData: signInitData(BOT_TOKEN, { userId: 5551 }).replace(
      encodeURIComponent('"id":5551'),
      encodeURIComponent(`"id":${OWNER.id}`),
    ),
    expect: 401,
  }),
  () => ({
    initData: signInitData(BOT_TOKEN, { userId: OWNER.id, authDate: now() - 3600 }).replace(
      `auth_date=${now() - 3600}`,
      `auth_date=${now()}`,
    ),
    expect: 401,
  }),
  () => ({ initData: `${signInitData(BOT_TOKEN, { userId: OWNER.id })}&start_param=admin`, expect: 401 }),
  () => ({ initData: signInitData(BOT_TOKEN, { userId: OWNER.id, authDate: now() - 16 * 60 }), expect: 401 }),
  () => ({ initData: signInitData(BOT_TOKEN, { userId: OWNER.id, authDate: now() + 600 }), expect: 401 }),
  () => ({ initData: randomBytesString(randomInt(0, 400)), expect: 401 }),
  () => ({ initData: signInitData(BOT_TOKEN, { userId: 900_000 + randomInt(1000) }), expect: 403 }),
];

function randomBytesString(length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(32 + randomInt(95));
  return s;
}

let rig: WebhookRig;
beforeAll(async () => {
  rig = await createWebhookRig(OWNER);
});

describe("forged Mini App calls", () => {
  it(
    `${FORGED} forged login calls: none reaches Telegram, writes an item, or is logged`,
    { timeout: 120_000 },
    async (ctx) => {
      const c = counters(ctx);
      const initDatas: string[] = [];
      await scanLogs(
        c,
        () => [BOT_TOKEN, ...initDatas.slice(-50)],
        async () => {
          const itemsBefore = await rig.snapshot();
          const apiCallsBefore = rig.api.calls.length;
          const statuses = new Map<number, number>();
          for (let i = 0; i < FORGED; i++) {
            const forged = KINDS[i % KINDS.length]!();
            if (typeof forged.initData === "string") initDatas.push(forged.initData);
            const step = ["state", "code", "password"][i % 3]!;
            const requestsBefore = rig.requests.length;
            const res = await rig.call(
              miniAppEvent("POST", `/login/${step}`, {
                initData: forged.initData,
                code: "12345",
                password: "hunter22",
              }),
            );
            expect(res.thrown).toBeUndefined();
            expect(res.statusCode).toBe(forged.expect);
            // Refused before any write: at most the admin lookup (a read) for the signed non-admin.
            expect(rig.requests.slice(requestsBefore).filter((r) => r.write)).toEqual([]);
            statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
            c.forgedRefused++;
          }
          c.inputs += FORGED;
          expect(rig.api.calls.length).toBe(apiCallsBefore);
          expect(await rig.snapshot()).toEqual(itemsBefore);
          expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(FORGED);
        },
      );
    },
  );
});
