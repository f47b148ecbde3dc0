/**
 * Run in a child Node process by telegram-dc-deadlines.test.ts (`node --import tsx child-check.ts`): the userbot
 * layer's health check of one stored session, exactly as the health-check worker runs it (createUserbotServices
 * over DynamoDB Local, GramJS's real client on its real transport to a loopback DC that lives in the parent). It
 * prints one JSON line and then simply ends: nothing here calls process.exit(), so a socket or a ref'd timer left
 * behind by the check (GramJS's reconnect after destroy(), its ping timers) would keep the process alive, and the
 * parent sees it.
 *
 * Environment: LOOPBACK_HOST, LOOPBACK_DC_ID, CHECK_PHONE, CHECK_DEADLINE_MS, and the test store's variables
 * (DYNAMODB_ENDPOINT, SESSIONS_TABLE, BOT_STATE_TABLE, SESSION_ENCRYPTION_KEY, AWS_REGION).
 */
import { normalizePhone } from "../../../lib/sessions";
import type { CheckResult } from "../../../lib/telegram/contract";
import { childUserbotServices, required, runChild } from "./child-services";
import { loopbackClientFactory } from "./loopback-dc";

export interface CheckChildReport {
  readonly result: CheckResult;
  /** From the call to checkSession until it returned (lease, connect, getMe, destroy, write-back, release). */
  readonly elapsedMs: number;
}

async function main(): Promise<void> {
  const services = childUserbotServices(
    loopbackClientFactory(required("LOOPBACK_HOST"), Number(required("LOOPBACK_DC_ID"))),
  );
  const started = Date.now();
  const result = await services.userbots.checkSession(normalizePhone(required("CHECK_PHONE")), {
    deadlineMs: Number(required("CHECK_DEADLINE_MS")),
    actor: "health-check:child",
  });
  const report: CheckChildReport = { result, elapsedMs: Date.now() - started };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

runChild(main);
