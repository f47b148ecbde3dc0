/**
 * The operator's role: what the `sessions` CLI runs as against a deployment. It is the one identity outside the
 * functions that the session key's policy lets open and seal sessions, so using stored sessions from a terminal is
 * always an explicit, logged `sts:AssumeRole` (CloudTrail names who assumed it), never a side effect of being an
 * account administrator.
 */
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import {
  AccountPrincipal,
  AccountRootPrincipal,
  ArnPrincipal,
  CompositePrincipal,
  PolicyStatement,
  Role,
} from "aws-cdk-lib/aws-iam";
import type { IPrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { BY_STATUS_INDEX } from "../../lib/tables";
import type { SessionKey } from "./session-key";
import { grantTableAccess } from "./table-access";

export interface OperatorRoleProps {
  /** A fixed name: the session key's policy names the role by ARN. */
  readonly roleName: string;
  /** IAM user/role ARNs or account ids that may assume the role; empty: this account (its IAM policies decide). */
  readonly trustedBy: readonly string[];
  readonly sessionsTable: ITableV2;
  readonly botStateTable: ITableV2;
  readonly tableKey: IKey;
  readonly sessionKey: SessionKey;
  /** Secrets the CLI and `npm run webhook:set` read. */
  readonly secrets: readonly ISecret[];
}

function principal(who: string): IPrincipal {
  return /^\d{12}$/.test(who) ? new AccountPrincipal(who) : new ArnPrincipal(who);
}

export class OperatorRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: OperatorRoleProps) {
    super(scope, id);
    this.role = new Role(this, "Role", {
      roleName: props.roleName,
      description:
        "Session Keeper operator: the sessions CLI against this deployment (break-glass use of the session key)",
      assumedBy:
        props.trustedBy.length === 0
          ? new AccountRootPrincipal()
          : new CompositePrincipal(...props.trustedBy.map(principal)),
    });
    // The operator is the owner of everything here: every item of both tables, including the admin list.
    grantTableAccess(this.role, {
      table: props.sessionsTable,
      tableKey: props.tableKey,
      write: true,
      indexes: [BY_STATUS_INDEX],
    });
    grantTableAccess(this.role, { table: props.botStateTable, tableKey: props.tableKey, write: true });
    // `sessions backup` reads whole tables; no function may.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:Scan"],
        resources: [props.sessionsTable.tableArn, props.botStateTable.tableArn],
      }),
    );
    props.sessionKey.grantOpenSessions(this.role);
    props.sessionKey.grantStoreSessions(this.role);
    for (const secret of props.secrets) secret.grantRead(this.role);
  }
}
