/**
 * The Mini App form is a second door to the same login as the chat: it shares the bot's texts and the login
 * progress (lib/bot/login-progress.ts: outcome → next step, the ended-login words, the session card), and nothing
 * else of the bot, so the bot's features, context and views can change without reaching into the form.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const MINIAPP = resolve(__dirname, "../../lib/miniapp");
const ALLOWED = new Set(["../bot/locales", "../bot/login-progress"]);

describe("lib/miniapp's imports of the bot", () => {
  it("are only its texts and the shared login progress", () => {
    const found = readdirSync(MINIAPP)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((file) =>
        [...readFileSync(join(MINIAPP, file), "utf8").matchAll(/from\s+"(\.\.\/bot\/[^"]*)"/g)].map(
          (m) => `${file} → ${m[1]}`,
        ),
      );
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !ALLOWED.has(f.split(" → ")[1]!))).toEqual([]);
  });
});
