/** Telegram's side of Mini App initData: what a Telegram client hands the page, signed with the bot token. */
import { createHmac } from "node:crypto";
import { dataCheckString, initDataSecretKey } from "../../lib/miniapp/init-data";

export interface InitDataSpec {
  readonly userId: number;
  readonly languageCode?: string;
  /** Seconds since the epoch; default now. */
  readonly authDate?: number;
  /** Fields to add or override (query_id, chat_instance, signature…). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** A correctly signed initData query string, as Telegram builds it for a `web_app` button in a private chat. */
export function signInitData(botToken: string, spec: InitDataSpec): string {
  const fields = new URLSearchParams({
    query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
    user: JSON.stringify({
      id: spec.userId,
      first_name: "Admin",
      language_code: spec.languageCode ?? "en",
      allows_write_to_pm: true,
    }),
    auth_date: String(spec.authDate ?? Math.floor(Date.now() / 1000)),
    // Telegram's Ed25519 signature for third parties: just another field to the HMAC.
    signature:
      "p1R5TnH1c3LmJ2bXk8sQ9wY4vZ6uA0eD3fG7hK1mN5oP9rS2tU6xW0yB4cE8gI2jL6nO0qR4sT8vX2zA6bD0fH4jK8mP2sU6wY0aC4eG8i",
    ...spec.extra,
  });
  fields.sort();
  const hash = createHmac("sha256", initDataSecretKey(botToken))
    .update(dataCheckString(fields))
    .digest("hex");
  fields.append("hash", hash);
  return fields.toString();
}
