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
}

export function grantTableAccess(grantee: IGrantable, access: TableAccess): void {
  const principal = grantee.grantPrincipal;
  const { table } = access;
  principal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...READ_ACTIONS, ...(access.write ? WRITE_ACTIONS : [])],
      resources: [table.tableArn],
    }),
  );
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
      actions: access.write ? TABLE_KEY_WRITE : TABLE_KEY_READ,
      resources: [access.tableKey.keyArn],
      conditions: {
        StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(table).region}.amazonaws.com` },
      },
    }),
  );
}
