/**
 * A DynamoDB table built from its definition in `lib/tables.ts`, with the protections a table of secrets needs:
 * point-in-time recovery, deletion protection, kept when the stack goes, encrypted under our own KMS key.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, Billing, TableEncryptionV2, TableV2, type Attribute } from "aws-cdk-lib/aws-dynamodb";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { KeyAttribute, TableDefinition } from "../../lib/tables";

export interface SessionKeeperTableProps {
  /** Keys, indexes and TTL attribute, from `lib/tables.ts`. */
  readonly definition: TableDefinition;
  /** Customer-managed key that encrypts the table, its indexes and its backups at rest. */
  readonly encryptionKey: IKey;
  /** Days of continuous backups to restore from. @default 35 (the most DynamoDB keeps) */
  readonly recoveryPeriodInDays?: number;
}

const attribute = (key: KeyAttribute): Attribute => ({
  name: key.name,
  type: key.type === "S" ? AttributeType.STRING : AttributeType.NUMBER,
});

export class SessionKeeperTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: SessionKeeperTableProps) {
    super(scope, id);
    const def = props.definition;
    this.table = new TableV2(this, "Table", {
      partitionKey: attribute(def.partitionKey),
      ...(def.sortKey ? { sortKey: attribute(def.sortKey) } : {}),
      globalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
      })),
      ...(def.timeToLiveAttribute ? { timeToLiveAttribute: def.timeToLiveAttribute } : {}),
      // On-demand: a fleet's load is a daily burst of checks and a trickle of button presses, nothing to provision.
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: props.recoveryPeriodInDays ?? 35,
      },
      // Losing this table loses every session: nobody deletes it by accident, nor by deleting the stack.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: TableEncryptionV2.customerManagedKey(props.encryptionKey),
    });
  }
}
