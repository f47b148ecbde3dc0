/**
 * @SpamBot at the loopback DC: `contacts.resolveUsername("SpamBot")` finds it, `messages.sendMessage` to it records
 * what the account sent and queues the scripted answer, and `messages.getHistory` with it returns the dialog, newest
 * first, as Telegram does. Each account's answer is scripted (`script`); none scripted means it stays silent.
 */
import { Api } from "telegram";
import { returnBigInt } from "telegram/Helpers";

/** @SpamBot's user id at Telegram. */
export const SPAMBOT_ID = 178_220_800n;
const SPAMBOT_HASH = 8_125_770_011_223_344_556n;

interface DialogMessage {
  readonly id: number;
  readonly out: boolean;
  readonly text: string;
  readonly date: number;
}

export interface SpamBotAccount {
  readonly phone: string;
  readonly userId: bigint;
}

export class SpamBotDialog {
  private readonly replies = new Map<string, string>();
  private readonly dialogs = new Map<string, DialogMessage[]>();
  private nextId = 1_000;

  /** What @SpamBot answers this account's next messages (undefined: it stays silent). */
  script(phone: string, reply: string | undefined): void {
    if (reply === undefined) this.replies.delete(digits(phone));
    else this.replies.set(digits(phone), reply);
  }

  /** What the account sent to @SpamBot, oldest first. */
  sent(phone: string): string[] {
    return (this.dialogs.get(digits(phone)) ?? []).filter((m) => m.out).map((m) => m.text);
  }

  /** The answer (serialized) when `request` is part of the dialog; undefined otherwise. */
  execute(account: SpamBotAccount, request: unknown): { rpc: Buffer } | undefined {
    if (request instanceof Api.contacts.ResolveUsername) {
      if (request.username.toLowerCase() !== "spambot") return undefined;
      return {
        rpc: new Api.contacts.ResolvedPeer({
          peer: new Api.PeerUser({ userId: returnBigInt(SPAMBOT_ID) }),
          chats: [],
          users: [bot()],
        }).getBytes(),
      };
    }
    if (request instanceof Api.messages.SendMessage && isSpamBot(request.peer)) {
      const date = Math.floor(Date.now() / 1000);
      const dialog = this.dialogs.get(digits(account.phone)) ?? [];
      this.dialogs.set(digits(account.phone), dialog);
      const sent: DialogMessage = { id: this.nextId++, out: true, text: request.message, date };
      dialog.push(sent);
      const reply = this.replies.get(digits(account.phone));
      if (reply !== undefined) dialog.push({ id: this.nextId++, out: false, text: reply, date });
      return {
        rpc: new Api.UpdateShortSentMessage({
          out: true,
          id: sent.id,
          pts: sent.id,
          ptsCount: 1,
          date,
        }).getBytes(),
      };
    }
    if (request instanceof Api.messages.GetHistory && isSpamBot(request.peer)) {
      const dialog = [...(this.dialogs.get(digits(account.phone)) ?? [])]
        .reverse()
        .slice(0, request.limit || 100);
      return {
        rpc: new Api.messages.Messages({
          messages: dialog.map(
            (m) =>
              new Api.Message({
                id: m.id,
                out: m.out,
                peerId: new Api.PeerUser({ userId: returnBigInt(SPAMBOT_ID) }),
                ...(m.out ? { fromId: new Api.PeerUser({ userId: returnBigInt(account.userId) }) } : {}),
                date: m.date,
                message: m.text,
              }),
          ),
          chats: [],
          users: [bot()],
        }).getBytes(),
      };
    }
    return undefined;
  }
}

/** Phones as the DC keeps them: digits only ("+998 90…" and "99890…" are one account). */
function digits(phone: string): string {
  return phone.replace(/\D/g, "");
}

function bot(): Api.User {
  return new Api.User({
    id: returnBigInt(SPAMBOT_ID),
    accessHash: returnBigInt(SPAMBOT_HASH),
    bot: true,
    // `bot` and `bot_info_version` share flag 14: one without the other is misread.
    botInfoVersion: 1,
    verified: true,
    firstName: "Spam Info Bot",
    username: "SpamBot",
  });
}

function isSpamBot(peer: unknown): boolean {
  return peer instanceof Api.InputPeerUser && peer.userId.eq(returnBigInt(SPAMBOT_ID));
}
