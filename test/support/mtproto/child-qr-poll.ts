/**
 * Run in a child Node process by telegram-dc-qr.test.ts (`node --import tsx child-qr-poll.ts`): one `pollQr` of
 * the userbot layer, as the AdminBot's Lambda runs it, over DynamoDB Local and GramJS's real client to a loopback
 * DC of the parent. A poll that follows auth.loginTokenMigrateTo switches DC inside its one-shot client (GramJS's
 * `_switchDC`: a second socket, a new key); this proves that client still leaves nothing behind: the script prints
 * one JSON line and then simply ends, so a socket or a ref'd timer left running would keep the process alive.
 *
 * Environment: SESSION_KEEPER_TELEGRAM_DC(_KEY) (test/support/cli-dc.ts `loopbackDcEnv`), QR_OWNER, and the test
 * store's variables (DYNAMODB_ENDPOINT,
 * SESSIONS_TABLE, BOT_STATE_TABLE, SESSION_ENCRYPTION_KEY, AWS_REGION).
 */
import { createTelegramClient } from "../../../lib/telegram";
import { testDcClientFactory } from "../../../lib/telegram/test-dc";
import { childUserbotServices, required, runChild } from "./child-services";

export interface QrPollChildReport {
  readonly kind: string;
  readonly phone?: string;
  /** From the call to pollQr until it returned (claim, connect, export, switch DC, import, getMe, destroy, store). */
  readonly elapsedMs: number;
}

async function main(): Promise<void> {
  // Never Telegram itself: without the seam's address the factory below would be GramJS's default.
  required("SESSION_KEEPER_TELEGRAM_DC");
  // The production seam a CLI process uses (lib/telegram/test-dc.ts): the DC's address and its RSA key, which
  // GramJS needs for the new key it makes on DC 4 (the child does not share the parent's registered test key).
  const services = childUserbotServices(testDcClientFactory(process.env, createTelegramClient)!);
  const started = Date.now();
  const outcome = await services.qr.pollQr(required("QR_OWNER"));
  const report: QrPollChildReport = {
    kind: outcome.kind,
    ...(outcome.kind === "logged-in" ? { phone: outcome.session.phone } : {}),
    elapsedMs: Date.now() - started,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

runChild(main);
