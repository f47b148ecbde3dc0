/**
 * Restrictions read from @SpamBot, on an owner's request only (it sends a message from the account, so it is never
 * part of the daily check): through the session (its lease, identity and proxy, as any use), resolve @SpamBot, send
 * it /start, read its answer from the dialog's history, classify it (spambot-reply.ts), and store the reading with
 * its date on the row. A bot that does not answer in time is a reading of its own ("no-reply"), stored as unknown.
 */
import { randomBytes } from "node:crypto";
import { Api } from "telegram";
import type { Phone } from "../sessions/phone";
import type { RestrictionReading } from "../sessions/session";
import type { OpenUserbot } from "./client";
import type { CheckOptions } from "./contract";
import type { ResolvedDeps } from "./deps";
import { classifySpamBotReply } from "./spambot-reply";
import { useSession } from "./userbot";

export const SPAMBOT_USERNAME = "SpamBot";
/** How long to wait for @SpamBot's answer, and how often to look. */
const REPLY_WAIT_MS = 6_000;
const POLL_MS = 750;
export const DEFAULT_SPAMBOT_DEADLINE_MS = 25_000;

async function askSpamBot(userbot: OpenUserbot, now: () => Date): Promise<RestrictionReading> {
  const { client } = userbot;
  const resolved = await client.invoke(new Api.contacts.ResolveUsername({ username: SPAMBOT_USERNAME }));
  const user = resolved.users.find((u): u is Api.User => u instanceof Api.User && u.bot === true);
  if (!user || user.accessHash === undefined) throw new Error("@SpamBot could not be resolved.");
  const peer = new Api.InputPeerUser({ userId: user.id, accessHash: user.accessHash });
  const sent = await client.invoke(
    new Api.messages.SendMessage({
      peer,
      message: "/start",
      randomId: randomBytes(8).readBigInt64LE() as unknown as Api.long,
      noWebpage: true,
    }),
  );
  const sentId = sentMessageId(sent);
  const until = Date.now() + REPLY_WAIT_MS;
  for (;;) {
    const history = await client.invoke(
      new Api.messages.GetHistory({
        peer,
        limit: 5,
        offsetId: 0,
        offsetDate: 0,
        addOffset: 0,
        maxId: 0,
        minId: 0,
        hash: 0 as unknown as Api.long,
      }),
    );
    const messages = "messages" in history ? history.messages : [];
    const reply = messages.find(
      (m): m is Api.Message =>
        m instanceof Api.Message && !m.out && (sentId === undefined || m.id > sentId) && m.message !== "",
    );
    if (reply) return classifySpamBotReply(reply.message, now().toISOString());
    if (Date.now() + POLL_MS > until) {
      return { state: "unknown", text: "(@SpamBot did not answer in time)", checkedAt: now().toISOString() };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function sentMessageId(result: Api.TypeUpdates): number | undefined {
  if (result instanceof Api.UpdateShortSentMessage) return result.id;
  if (result instanceof Api.Updates || result instanceof Api.UpdatesCombined) {
    for (const u of result.updates) if (u instanceof Api.UpdateMessageID) return u.id;
  }
  return undefined;
}

/**
 * Asks @SpamBot about the account of `phone` and stores the reading on its row. Throws what `useSession` throws
 * (not active, leased, flood wait, or `UserbotFailedError` with the failure recorded as any use records it).
 */
export function checkRestriction(
  deps: ResolvedDeps,
  phone: Phone,
  options: CheckOptions,
): Promise<RestrictionReading> {
  return useSession(deps, phone, (userbot) => askSpamBot(userbot, deps.now), {
    ...options,
    onSuccess: (reading) => ({ restriction: reading }),
  });
}
