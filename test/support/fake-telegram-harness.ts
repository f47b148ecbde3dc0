/** The userbot layer wired to DynamoDB Local and the fake Telegram, as the entry points wire it to the real ones. */
import { createLogger, type LogLevel } from "../../lib/log";
import { normalizePhone, type Phone, type SessionRepository } from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import { createUserbotServices, type UserbotDeps, type UserbotServices } from "../../lib/telegram";
import type { TestStore } from "./dynamo";
import { FakeTelegram, type FakeAccount } from "./fake-telegram";

export const API_ID = 123456;
export const API_HASH = "0123456789abcdef0123456789abcdef";

export interface Harness {
  readonly fake: FakeTelegram;
  readonly sessions: SessionRepository;
  readonly audit: AuditLog;
  readonly services: UserbotServices;
  /**
   * Services as another process would build them: same tables, same fake Telegram, nothing else shared
   * (with `overrides`, e.g. a later clock).
   */
  another(overrides?: Partial<UserbotDeps>): UserbotServices;
}

export interface HarnessOptions extends Partial<UserbotDeps> {
  /** DEBUG when a test reads the logs; otherwise the run's LOG_LEVEL keeps the output quiet. */
  readonly logLevel?: LogLevel;
}

/**
 * The real userbot layer on `store`, its clients made by `createClient` (the fake Telegram, or a loopback DC).
 * `another()` builds what a separate process would: same tables and Telegram, nothing else shared.
 */
export function wireUserbots(
  store: TestStore,
  createClient: UserbotDeps["createClient"],
  service: string,
  options: HarnessOptions = {},
): Omit<Harness, "fake"> {
  const { logLevel, ...defaults } = options;
  const build = (overrides: Partial<UserbotDeps>) => {
    const logger = createLogger({ service, ...(logLevel ? { level: logLevel } : {}) });
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
      ...(createClient ? { createClient } : {}),
      ...overrides,
    });
    return { sessions, audit, services };
  };
  const first = build(defaults);
  return { ...first, another: (more = {}) => build({ ...defaults, ...more }).services };
}

export function harness(store: TestStore, options: HarnessOptions = {}): Harness {
  const fake = new FakeTelegram();
  fake.validApiId = API_ID;
  return { fake, ...wireUserbots(store, fake.createClient, "userbot-test", options) };
}

let counter = 0;
/** A fresh valid phone per call, so tests sharing tables never meet. */
export function newPhone(): Phone {
  counter++;
  return normalizePhone(
    `+99890${String(process.pid % 100).padStart(2, "0")}${String(counter).padStart(5, "0")}`,
  );
}

/** An account at the fake Telegram and its signed-in session stored `active`, as after a login. */
export async function seedSession(h: Harness, account: Partial<FakeAccount> = {}): Promise<Phone> {
  const phone = (account.phone as Phone | undefined) ?? newPhone();
  h.fake.addAccount({
    userId: 7000 + counter,
    username: `acc${counter}`,
    firstName: "Acc",
    ...account,
    phone,
  });
  await h.sessions.create({
    phone,
    sessionString: await h.fake.sessionFor(phone),
    account: { userId: String(7000 + counter) },
  });
  return phone;
}

/** The JSON log lines in captured output. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
