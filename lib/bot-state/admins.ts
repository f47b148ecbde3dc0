/**
 * Admins of the AdminBot, kept in the bot-state table (`pk = "ADMIN"`, `sk = <telegram user id>`). Only admins get
 * anything from the bot. An owner may manage admins; the last owner can never be removed, so the fleet is never
 * left without someone who can let people in.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { Logger } from "../log";
import { BOT_STATE_ITEMS, itemKey } from "../tables";

export type AdminRole = "owner" | "admin";
export type Language = "uz" | "en" | "ru";
export const LANGUAGES: readonly Language[] = ["uz", "en", "ru"];

export interface Admin {
  readonly userId: string;
  readonly role: AdminRole;
  readonly name?: string;
  readonly language?: Language;
  readonly addedAt: string;
  /** Telegram user id of who added this admin, or "cli". */
  readonly addedBy: string;
}

/** One item of a `TransactWriteItems` (here: a condition another module's write carries). */
export type TransactionItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminError";
  }
}

/**
 * A Telegram user id as it is kept everywhere (the admin list, callback data, the audit trail, the CLI): a decimal
 * string of digits without a leading zero, at most 20 digits (any 64-bit id). Never a JavaScript number on the way:
 * Telegram's ids fit in 52 bits today, but a number silently rounds past 2^53 (9007199254740993 would become
 * …992, another person).
 */
const USER_ID = /^[1-9]\d{0,19}$/;

export function isUserId(value: string): boolean {
  return USER_ID.test(value);
}

/** Reads a user id typed by a person (spaces around are fine); anything else is an AdminError saying what to type. */
export function parseUserId(input: string): string {
  const trimmed = input.trim();
  if (!isUserId(trimmed)) {
    throw new AdminError(
      `"${trimmed.slice(0, 24)}" is not a Telegram user id. It is a number such as 123456789 (digits only, no ` +
        "leading zero, at most 20 digits); a person can see theirs by writing to the bot, which answers strangers " +
        "with their id.",
    );
  }
  return trimmed;
}

const PK = itemKey(BOT_STATE_ITEMS.admin);

interface AdminItem extends Admin {
  pk: string;
  sk: string;
}

function toAdmin(item: AdminItem): Admin {
  const { pk: _pk, sk: _sk, ...admin } = item;
  return admin;
}

export class AdminRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: { now?: () => Date; logger?: Logger } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async get(userId: string): Promise<Admin | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: PK, sk: userId } }),
    );
    return out.Item ? toAdmin(out.Item as AdminItem) : undefined;
  }

  /**
   * A condition that holds while `admin` is still an admin with the same role and language, which is all the bot acts
   * on. The webhook puts it in each update's processed-once claim (one transaction), so an admin a container keeps in
   * memory costs no read, yet a removal or a change takes effect on their very next update, in every container.
   */
  unchangedCheck(admin: Admin): TransactionItem {
    return {
      ConditionCheck: {
        TableName: this.tableName,
        Key: { pk: PK, sk: admin.userId },
        ConditionExpression:
          "attribute_exists(pk) AND #role = :role AND " +
          (admin.language ? "#language = :language" : "attribute_not_exists(#language)"),
        ExpressionAttributeNames: { "#role": "role", "#language": "language" },
        ExpressionAttributeValues: {
          ":role": admin.role,
          ...(admin.language ? { ":language": admin.language } : {}),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /** What a failed `unchangedCheck` found instead: the admin as they are now, or undefined when no longer an admin. */
  static found(item: Record<string, unknown> | undefined): Admin | undefined {
    return item?.pk === PK ? toAdmin(item as unknown as AdminItem) : undefined;
  }

  async list(): Promise<Admin[]> {
    const admins: Admin[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": PK },
          ExclusiveStartKey: start,
        }),
      );
      admins.push(...((out.Items ?? []) as AdminItem[]).map(toAdmin));
      start = out.LastEvaluatedKey;
    } while (start);
    return admins;
  }

  /**
   * Adds an admin. Adding someone who is already an admin changes nothing and returns them as they are, except
   * that `role: "owner"` promotes an admin to owner.
   */
  async add(input: {
    userId: string;
    role?: AdminRole;
    name?: string;
    addedBy: string;
  }): Promise<{ admin: Admin; created: boolean }> {
    const userId = parseUserId(input.userId);
    const item: AdminItem = {
      pk: PK,
      sk: userId,
      userId,
      role: input.role ?? "admin",
      addedAt: this.now().toISOString(),
      addedBy: input.addedBy,
      ...(input.name ? { name: input.name } : {}),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      this.options.logger?.info("Admin added", { userId, role: item.role, addedBy: input.addedBy });
      return { admin: toAdmin(item), created: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    if (input.role === "owner") {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: PK, sk: userId },
          UpdateExpression: "SET #role = :owner",
          ExpressionAttributeNames: { "#role": "role" },
          ExpressionAttributeValues: { ":owner": "owner" },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { admin: toAdmin(out.Attributes as AdminItem), created: false };
    }
    return { admin: (await this.get(userId))!, created: false };
  }

  /**
   * Removes an admin. Refuses to remove the last owner. Two owners removing each other at the same moment could
   * both pass the count check; the count is therefore taken again after the delete and the delete undone if it
   * left no owner.
   */
  async remove(userId: string): Promise<Admin> {
    const id = parseUserId(userId);
    const admin = await this.get(id);
    if (!admin) throw new AdminError(`${id} is not an admin.`);
    if (admin.role === "owner") {
      const owners = (await this.list()).filter((a) => a.role === "owner");
      if (owners.length <= 1) {
        throw new AdminError(
          "This is the last owner and cannot be removed. Make another admin an owner first.",
        );
      }
    }
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: PK, sk: id } }));
    if (admin.role === "owner" && !(await this.list()).some((a) => a.role === "owner")) {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: PK, sk: id, ...admin } }));
      throw new AdminError(
        "This is the last owner and cannot be removed. Make another admin an owner first.",
      );
    }
    this.options.logger?.info("Admin removed", { userId: id });
    return admin;
  }

  async setLanguage(userId: string, language: Language): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: PK, sk: userId },
        ConditionExpression: "attribute_exists(pk)",
        UpdateExpression: "SET #language = :language",
        ExpressionAttributeNames: { "#language": "language" },
        ExpressionAttributeValues: { ":language": language },
      }),
    );
  }
}
