/**
 * Rows as the previous version of the code wrote them: the session string (and the proxy credentials) sealed in
 * ciphertext format 1 (`skenc1`, an unsalted hash of the phone in the key context), with the real cipher. What the
 * encryption migration's tests start from.
 */
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SecretContext } from "../../lib/crypto";
import type { Phone } from "../../lib/sessions";
import type { TestStore } from "./local-store";

export type SealedAttribute = "sessionCiphertext" | "proxyCiphertext";

const PURPOSE: Record<SealedAttribute, SecretContext["purpose"]> = {
  sessionCiphertext: "session",
  proxyCiphertext: "proxy",
};

/**
 * Where a secret of `phone` is stored: its row, or (`itemKey`) another item whose ciphertext is bound to the phone, a
 * replaced key's (`REPLACED#<phone>#<time>`).
 */
export interface Where {
  readonly itemKey?: string;
}

/** The row's (or `where.itemKey`'s) raw item (ciphertexts, version, updatedAt) as stored now. */
export async function rawRow(
  store: TestStore,
  phone: Phone,
  where: Where = {},
): Promise<Record<string, unknown> | undefined> {
  const out = await store.doc.send(
    new GetCommand({
      TableName: store.sessionsTable,
      Key: { phone: where.itemKey ?? phone },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

/**
 * Seals `attribute` of the row again in format 1, with the same plaintext (opened with the store's cipher first),
 * without touching anything else of the row (its version and last change stay).
 */
export async function makeLegacy(
  store: TestStore,
  phone: Phone,
  attribute: SealedAttribute = "sessionCiphertext",
  where: Where = {},
): Promise<void> {
  const item = await rawRow(store, phone, where);
  const current = item?.[attribute];
  if (typeof current !== "string") throw new Error(`${phone} has no ${attribute} to make legacy.`);
  const context = { purpose: PURPOSE[attribute], id: phone };
  const plaintext = await store.cipher.decrypt(current, context);
  const legacy = await store.cipher.encrypt(plaintext, context, { legacyFormat: true });
  await store.doc.send(
    new UpdateCommand({
      TableName: store.sessionsTable,
      Key: { phone: where.itemKey ?? phone },
      UpdateExpression: "SET #a = :c",
      ExpressionAttributeNames: { "#a": attribute },
      ExpressionAttributeValues: { ":c": legacy },
    }),
  );
}

/** A row's sealed secrets opened with the store's cipher (undefined where the row has none). */
export async function openSecrets(
  store: TestStore,
  phone: Phone,
  where: Where = {},
): Promise<{ session?: string; proxy?: string; formats: string[] }> {
  const item = await rawRow(store, phone, where);
  const out: { session?: string; proxy?: string; formats: string[] } = { formats: [] };
  for (const attribute of ["sessionCiphertext", "proxyCiphertext"] as const) {
    const c = item?.[attribute];
    if (typeof c !== "string") continue;
    out.formats.push(c.slice(0, c.indexOf(".")));
    const plaintext = await store.cipher.decrypt(c, { purpose: PURPOSE[attribute], id: phone });
    if (attribute === "sessionCiphertext") out.session = plaintext;
    else out.proxy = plaintext;
  }
  return out;
}
