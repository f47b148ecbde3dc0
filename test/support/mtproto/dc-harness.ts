/**
 * The real userbot layer (`createUserbotServices`) wired to DynamoDB Local and a loopback DC, as the entry points
 * wire it to DynamoDB and Telegram: GramJS's real client on its real transport, nothing stubbed but the address.
 * Every `another()` is what a separate Lambda invocation builds: same tables, same DC, no shared client or cache.
 */
import type { LogLevel } from "../../../lib/log";
import type { Phone, SessionRepository } from "../../../lib/sessions";
import type { AuditLog } from "../../../lib/bot-state/audit";
import type { UserbotDeps, UserbotServices } from "../../../lib/telegram";
import type { TestStore } from "../dynamo";
import { API_HASH, API_ID, newPhone, wireUserbots } from "../fake-telegram-harness";
import type { LoopbackDc } from "./loopback-dc";

export { API_HASH, API_ID };

export interface DcHarness {
  readonly dc: LoopbackDc;
  readonly sessions: SessionRepository;
  readonly audit: AuditLog;
  readonly services: UserbotServices;
  /** Services as another process (another Lambda invocation) would build them. */
  another(overrides?: Partial<UserbotDeps>): UserbotServices;
}

export function dcHarness(
  store: TestStore,
  dc: LoopbackDc,
  options: Partial<UserbotDeps> & { readonly logLevel?: LogLevel } = {},
): DcHarness {
  return { dc, ...wireUserbots(store, dc.createClient, "userbot-dc-test", options) };
}

let nextUserId = 510_000;

export interface SeededAccount {
  readonly phone: Phone;
  readonly userId: number;
  readonly username: string;
  readonly firstName: string;
  /** The session string as stored (encrypted) in the sessions table. */
  readonly sessionString: string;
}

/** An account at the DC and its logged-in key stored `active`, as after a login (the row knows only the user id). */
export async function seedDcSession(
  h: DcHarness,
  spec: { readonly password?: string; readonly passwordHint?: string } = {},
): Promise<SeededAccount> {
  const phone = newPhone();
  nextUserId += 1;
  const userId = nextUserId;
  const username = `dc_user_${userId}`;
  const firstName = `Firstname${userId}`;
  const { sessionString } = h.dc.addAccount({ phone, userId, firstName, username, ...spec });
  await h.sessions.create({ phone, sessionString, account: { userId: String(userId) } });
  return { phone, userId, username, firstName, sessionString };
}
