/**
 * The real userbot layer (`createUserbotServices`) wired to DynamoDB Local and a loopback DC, as the entry points
 * wire it to DynamoDB and Telegram: GramJS's real client on its real transport, nothing stubbed but the address.
 * Every `another()` is what a separate Lambda invocation builds: same tables, same DC, no shared client or cache.
 */
import { createLogger, type LogLevel } from "../../../lib/log";
import type { Phone, SessionRepository } from "../../../lib/sessions";
import { AuditLog } from "../../../lib/state/audit";
import { createUserbotServices, type UserbotDeps, type UserbotServices } from "../../../lib/telegram";
import type { TestStore } from "../dynamo";
import { newPhone } from "../fake-telegram-harness";
import type { LoopbackDc } from "./loopback-dc";

export const API_ID = 123456;
export const API_HASH = "0123456789abcdef0123456789abcdef";

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
  const { logLevel, ...defaults } = options;
  const build = (overrides: Partial<UserbotDeps>) => {
    const logger = createLogger({ service: "userbot-dc-test", ...(logLevel ? { level: logLevel } : {}) });
    const sessions = overrides.sessions ?? store.sessions({ logger });
    const audit = new AuditLog(store.doc, store.botStateTable);
    const services = createUserbotServices({
      sessions,
      doc: store.doc,
      botStateTable: store.botStateTable,
      cipher: store.cipher,
      credentials: async () => ({ apiId: API_ID, apiHash: API_HASH }),
      logger,
      audit,
      createClient: dc.createClient,
      ...overrides,
    });
    return { sessions, audit, services };
  };
  const first = build(defaults);
  return { dc, ...first, another: (more = {}) => build({ ...defaults, ...more }).services };
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
