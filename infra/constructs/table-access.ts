/**
 * Grants on a table, spelled out action by action.
 *
 * CDK's `grantReadWriteData` is broader than this system needs: it adds `Scan`, stream reads, every index
 * (`/index/*`) and wildcard KMS actions (`kms:GenerateDataKey*`, `kms:ReEncrypt*`). Here each function gets only
 * item-level actions on the tables it uses, `Query` only on the indexes it names, and the table key only through
 * DynamoDB (`kms:ViaService`), so no role can use that key directly and no role can touch the table itself
 * (`DeleteTable`, `UpdateTable`, backups).
 */
import { Stack } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";

/** Reading items: by key, and the key-condition queries. No `Scan`: nothing in this system scans a table. */
export const READ_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:ConditionCheckItem",
] as const;

/** Writing items (conditional writes and transactions are made of these). */
export const WRITE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
] as const;

/** What a grant on a family of items may do; each maps to one DynamoDB action (no batches, no scans). */
export type ItemAction = "read" | "put" | "update" | "delete";

const ITEM_ACTIONS: Record<ItemAction, readonly string[]> = {
  // A transaction's ConditionCheck reads the item it checks (the webhook's claim checks the admin's item).
  read: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
  put: ["dynamodb:PutItem"],
  update: ["dynamodb:UpdateItem"],
  delete: ["dynamodb:DeleteItem"],
};

/**
 * Access to the items whose partition key matches one of `keys` (IAM `StringLike` patterns: `*` is any run of
 * characters, so `RUN#*` is every run record and `ADMIN` exactly the admin list).
 */
export interface ItemGrant {
  readonly keys: readonly string[];
  readonly actions: readonly ItemAction[];
}

/** What DynamoDB asks KMS for on the caller's behalf when it reads an encrypted table. */
const TABLE_KEY_READ = ["kms:Decrypt", "kms:DescribeKey"];
/** … and when it writes one (named one by one: no `GenerateDataKey*`/`ReEncrypt*` wildcards). */
const TABLE_KEY_WRITE = [
  ...TABLE_KEY_READ,
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];

export interface TableAccess {
  readonly table: ITableV2;
  /** The customer-managed key the table is encrypted with. */
  readonly tableKey: IKey;
  /** May write items. @default false (read only) */
  readonly write?: boolean;
  /** Global secondary indexes it may query. @default none */
  readonly indexes?: readonly string[];
  /**
   * Only these families of items, each with its own actions (`dynamodb:LeadingKeys` conditions): replaces `write`.
   * @default every item, as `write` says
   */
  readonly items?: readonly ItemGrant[];
}

export function grantTableAccess(grantee: IGrantable, access: TableAccess): void {
  const principal = grantee.grantPrincipal;
  const { table } = access;
  if (access.items) {
    for (const statement of itemStatements(table.tableArn, access.items))
      principal.addToPrincipalPolicy(statement);
  } else {
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...READ_ACTIONS, ...(access.write ? WRITE_ACTIONS : [])],
        resources: [table.tableArn],
      }),
    );
  }
  const writes = access.items
    ? access.items.some((g) => g.actions.some((a) => a !== "read"))
    : access.write === true;
  if (access.indexes?.length) {
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: access.indexes.map((name) => `${table.tableArn}/index/${name}`),
      }),
    );
  }
  principal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: writes ? TABLE_KEY_WRITE : TABLE_KEY_READ,
      resources: [access.tableKey.keyArn],
      conditions: {
        StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(table).region}.amazonaws.com` },
      },
    }),
  );
}

/**
 * One statement per distinct set of actions, listing every key pattern that set applies to. `ForAllValues` is true
 * for a request without any partition key (a Scan), so the `Null` condition refuses those outright.
 */
function itemStatements(tableArn: string, grants: readonly ItemGrant[]): PolicyStatement[] {
  const byActions = new Map<string, { actions: string[]; keys: string[] }>();
  for (const grant of grants) {
    const actions = [...new Set(grant.actions)].sort().flatMap((a) => ITEM_ACTIONS[a]);
    const id = actions.join(",");
    const entry = byActions.get(id) ?? { actions, keys: [] };
    entry.keys.push(...grant.keys);
    byActions.set(id, entry);
  }
  return [...byActions.values()].map(
    ({ actions, keys }) =>
      new PolicyStatement({
        actions,
        resources: [tableArn],
        conditions: {
          "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...new Set(keys)].sort() },
          Null: { "dynamodb:LeadingKeys": "false" },
        },
      }),
  );
}
