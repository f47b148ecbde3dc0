/**
 * Run in a child Node process by the mtproto tests (`node --import tsx child-client.ts`): one real TelegramClient
 * on a loopback DC that lives in the parent, one `connect()` + `getMe()` raced against a deadline, then
 * `client.destroy()`. It prints one JSON line and then simply ends: whether the process exits on its own, and how
 * soon, is what the parent asserts. A socket or a ref'd timer GramJS leaves behind would keep it alive.
 *
 * Environment: LOOPBACK_HOST, LOOPBACK_DC_ID, LOOPBACK_SESSION (a StringSession, or empty), LOOPBACK_DEADLINE_MS, and
 * LOOPBACK_GUARD=1 to give the client a socket class that refuses to connect once destroy() was called.
 *
 * Why the guard exists: when the server drops the link, GramJS's MTProtoSender schedules `_reconnect()` after a
 * ref'd 1 s sleep, and nothing cancels it: a `destroy()` in between is undone (the sender connects a new socket and
 * sets itself connected again), and the socket lives until the update loop's next 9 s tick disconnects it, or for
 * ever if the server keeps dropping. Refusing the connect makes that late reconnect fail at once.
 */
import { PromisedNetSockets } from "telegram/extensions";
import { StringSession } from "telegram/sessions";
import { loopbackClientFactory } from "./loopback-dc";
import { required, runChild } from "./child-services";

export interface ChildReport {
  /** "ok", "deadline", or "error: <message>". */
  readonly outcome: string;
  /** From just before connect() until the outcome was known. */
  readonly elapsedMs: number;
  /** How long destroy() took. */
  readonly destroyMs: number;
}

async function main(): Promise<void> {
  const host = required("LOOPBACK_HOST");
  const deadlineMs = Number(required("LOOPBACK_DEADLINE_MS"));
  const guard = { destroyed: false };
  const createClient = loopbackClientFactory(host, Number(process.env["LOOPBACK_DC_ID"] ?? "2"));
  // The settings a Lambda uses (docs/notes: few retries, no flood sleep), so the scenario is the production one.
  // An empty LOOPBACK_SESSION means a new key: the key exchange is then part of the scenario.
  const client = createClient(new StringSession(process.env["LOOPBACK_SESSION"] ?? ""), 1, "loopback", {
    connectionRetries: 1,
    reconnectRetries: 1,
    retryDelay: 100,
    requestRetries: 1,
    floodSleepThreshold: 0,
    ...(process.env["LOOPBACK_GUARD"] === "1" ? { networkSocket: guardedSockets(guard) } : {}),
  });
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("deadline"), deadlineMs);
  });
  const work = (async () => {
    if (!(await client.connect())) return "error: connect() returned false";
    await client.getMe();
    return "ok";
  })().catch((err: unknown) => `error: ${err instanceof Error ? err.message : String(err)}`);
  const outcome = await Promise.race([work, deadline]);
  clearTimeout(timer);
  const elapsedMs = Date.now() - started;
  const destroyStarted = Date.now();
  guard.destroyed = true;
  await client.destroy();
  const report: ChildReport = { outcome, elapsedMs, destroyMs: Date.now() - destroyStarted };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function guardedSockets(guard: { destroyed: boolean }): typeof PromisedNetSockets {
  return class GuardedSockets extends PromisedNetSockets {
    override async connect(port: number, ip: string): Promise<unknown> {
      if (guard.destroyed) throw new Error("client destroyed: not reconnecting");
      return super.connect(port, ip);
    }
  };
}

runChild(main);
