import { randomBytes } from "node:crypto";
import { StringSession } from "telegram/sessions";
import { describe, expect, it } from "vitest";
import {
  gramJsString,
  InvalidSessionStringError,
  parseSessionString,
} from "../../lib/telegram/session-string";
import { oldPyrogramString, pyrogramString, telethonString } from "../support/fake-telegram-strings";

async function opened(sessionString: string) {
  const session = new StringSession(sessionString);
  await session.load();
  return { dcId: session.dcId, address: session.serverAddress, key: session.getAuthKey()?.getKey() };
}

describe("reading session strings made by other tools", () => {
  const key = randomBytes(256);

  it("reads a GramJS string as it is", async () => {
    const s = gramJsString(2, "149.154.167.51", 443, key);
    const parsed = parseSessionString(s);
    expect(parsed.format).toBe("gramjs");
    expect(await opened(parsed.sessionString)).toEqual({ dcId: 2, address: "149.154.167.51", key });
  });

  it("reads a 353-character Telethon string (GramJS's StringSession parses that form itself)", async () => {
    const s = telethonString(4, "149.154.167.91", 443, key);
    expect(s).toHaveLength(353);
    expect(await opened(s)).toEqual({ dcId: 4, address: "149.154.167.91", key });
    const parsed = parseSessionString(s);
    expect(parsed.format).toBe("telethon");
    expect(await opened(parsed.sessionString)).toEqual({ dcId: 4, address: "149.154.167.91", key });
  });

  it.each([
    ["Pyrogram 2 (362 characters)", pyrogramString(5, key), 362],
    ["Pyrogram 1 (351 characters)", oldPyrogramString(5, key), 351],
  ])("converts a %s string, giving its DC's production address", async (_what, s, length) => {
    expect(s).toHaveLength(length);
    const parsed = parseSessionString(s);
    expect(parsed.format).toBe("pyrogram");
    expect(await opened(parsed.sessionString)).toEqual({ dcId: 5, address: "91.108.56.130", key });
  });

  it.each([
    ["an empty string", "", /it is empty/],
    ["a phone number", "+998901234567", /matches no known format/],
    ["a sentence", "my session, please!", /characters no session has/],
    ["a GramJS string cut short", gramJsString(2, "149.154.167.51", 443, key).slice(0, 200), /not 256 bytes/],
    ["random text", "hello-world", /matches no known format/],
    ["a Pyrogram bot session", pyrogramString(2, key, { isBot: true }), /bot's session/],
    ["a Pyrogram test-server session", pyrogramString(2, key, { testMode: true }), /test servers/],
    ["a Pyrogram session naming DC 9", pyrogramString(9, key), /data centre 9/],
  ])("refuses %s, saying what to paste instead", (_what, s, reason) => {
    const error = (() => {
      try {
        parseSessionString(s);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidSessionStringError);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(/Paste a GramJS or Telethon string session/);
  });
});
