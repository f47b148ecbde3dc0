/**
 * Run as a child process by telegram-fake-exit.test.ts: one userbot job, then a report of what is still keeping Node
 * alive (timers, sockets). The process must then exit on its own: nothing here calls process.exit().
 *
 * Scenarios: "job" (a getMe that succeeds), "deadline" (a getMe that hangs past a 300 ms deadline),
 * "refused" (GramJS's real client and transport, pointed at a closed loopback port).
 */
import { randomBytes } from "node:crypto";
import { loadDefaultDeviceIdentity } from "../../lib/config";
import { createTelegramClient, runOneShot, type CreateClient } from "../../lib/telegram/client";
import { classifyError } from "../../lib/telegram/errors";
import { gramJsString } from "../../lib/telegram/session-string";
import { getMe } from "../../lib/telegram/userbot";
import { FakeTelegram } from "./fake-telegram";

const credentials = {
  apiId: 123456,
  apiHash: "0123456789abcdef0123456789abcdef",
  device: loadDefaultDeviceIdentity(),
};

async function main(scenario: string): Promise<void> {
  let sessionString: string;
  let createClient: CreateClient;
  let deadlineMs = 10_000;
  if (scenario === "refused") {
    sessionString = gramJsString(2, "149.154.167.51", 443, randomBytes(256));
    // GramJS's real client and transport; the factory, the address seam, points it at a closed loopback port.
    createClient = (session, apiId, apiHash, params) => {
      session.setDC(2, "127.0.0.1", 80);
      return createTelegramClient(session, apiId, apiHash, params);
    };
  } else {
    const fake = new FakeTelegram();
    const phone = "+998901234567";
    fake.addAccount({ phone, userId: 1 });
    sessionString = await fake.sessionFor(phone);
    createClient = fake.createClient;
    if (scenario === "deadline") {
      fake.failOn(phone, "users.GetUsers", { hang: true });
      deadlineMs = 300;
    }
  }
  const started = Date.now();
  let outcome: string;
  try {
    await runOneShot(sessionString, credentials, getMe, { createClient, deadlineMs });
    outcome = "ok";
  } catch (err) {
    outcome = classifyError(err).code;
  }
  const jobMs = Date.now() - started;
  // One turn of the event loop for socket closes to land, then look at what is left.
  await new Promise((resolve) => setImmediate(resolve));
  const resources = process.getActiveResourcesInfo();
  process.stdout.write(`${JSON.stringify({ outcome, jobMs, resources })}\n`);
}

void main(process.argv[2] ?? "job");
