/**
 * The KMS key that wraps the data keys of session strings (envelope encryption, `lib/crypto`).
 *
 * Its key policy is written out in full instead of CDK's default (which trusts the whole account with `kms:*`):
 *  - the account may administer the key (describe, enable/disable, rotation, aliases, tags, its policy, scheduling
 *    and cancelling deletion), so a lost role can never lock the key out, but administration grants no use: no
 *    Encrypt, Decrypt, GenerateDataKey, ReEncrypt or CreateGrant (a grant would be a side door to use);
 *  - only the named roles may use it, each only for what it does: the roles that store sessions generate data keys,
 *    the roles that open sessions decrypt. The roles are named by ARN in a condition (`aws:PrincipalArn`) rather than
 *    as principals, because the function roles live in the service stack, deployed after this key; each role also
 *    needs its own IAM allow (an identity policy), so both sides must agree;
 *  - every cryptographic use without the encryption context `app = session-keeper` is refused, whoever asks: a
 *    ciphertext of ours can only be opened through our code path, which also binds the row's identity.
 * Changing who may use the key therefore needs `kms:PutKeyPolicy`, which CloudTrail records: the break-glass path.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  PolicyDocument,
  PolicyStatement,
  type IGrantable,
} from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

/** The encryption context entry every session ciphertext carries (see `lib/crypto/envelope.ts`). */
export const SESSION_KEY_CONTEXT = { app: "session-keeper" } as const;

const CONTEXT_CONDITION = {
  StringEquals: { "kms:EncryptionContext:app": SESSION_KEY_CONTEXT.app },
};

/** What the account may do to the key: keep it alive and governed, never use it. */
export const KEY_ADMINISTRATION_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:EnableKeyRotation",
  "kms:DisableKeyRotation",
  "kms:RotateKeyOnDemand",
  "kms:UpdateKeyDescription",
  "kms:CreateAlias",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
] as const;

/** The only uses: unwrap a stored session's data key, or make a fresh one for a new session. */
export const OPEN_SESSIONS = "kms:Decrypt";
export const STORE_SESSIONS = "kms:GenerateDataKey";

export interface SessionKeyProps {
  /** Alias operators see in the KMS console. @default "alias/session-keeper/sessions" */
  readonly alias?: string;
  /** ARNs of the roles that store sessions (seal new session strings). */
  readonly storers: readonly string[];
  /** ARNs of the roles that open stored sessions. */
  readonly openers: readonly string[];
}

export class SessionKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SessionKeyProps) {
    super(scope, id);
    const account = new AccountRootPrincipal();
    const use = (sid: string, action: string, roles: readonly string[]) =>
      new PolicyStatement({
        sid,
        principals: [account],
        actions: [action],
        resources: ["*"],
        conditions: {
          ...CONTEXT_CONDITION,
          ArnEquals: { "aws:PrincipalArn": [...roles].sort() },
        },
      });
    this.key = new Key(this, "Key", {
      description: "Session Keeper: wraps the data keys of Telegram session strings (envelope encryption)",
      alias: props.alias ?? "alias/session-keeper/sessions",
      // Rotation keeps the old key material, so sessions sealed before a rotation still open.
      enableKeyRotation: true,
      // Deleting this key makes every stored session unreadable: keep it, and give a mistaken deletion the
      // longest window to be cancelled.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: "AdministrationByTheAccountNoUse",
            principals: [account],
            actions: [...KEY_ADMINISTRATION_ACTIONS],
            resources: ["*"],
          }),
          use("StoreSessions", STORE_SESSIONS, props.storers),
          use("OpenSessions", OPEN_SESSIONS, props.openers),
          new PolicyStatement({
            sid: "RequireSessionKeeperEncryptionContext",
            effect: Effect.DENY,
            principals: [new AnyPrincipal()],
            actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            resources: ["*"],
            // A missing key counts as "not equal", so a call without any context is refused too.
            conditions: { StringNotEquals: { "kms:EncryptionContext:app": SESSION_KEY_CONTEXT.app } },
          }),
        ],
      }),
    });
  }

  /** Lets `grantee` open stored sessions (unwrap their data keys); the key policy must name its role too. */
  grantOpenSessions(grantee: IGrantable): void {
    this.grant(grantee, OPEN_SESSIONS);
  }

  /** Lets `grantee` seal new session strings (fresh data keys); the key policy must name its role too. */
  grantStoreSessions(grantee: IGrantable): void {
    this.grant(grantee, STORE_SESSIONS);
  }

  private grant(grantee: IGrantable, action: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: [action], resources: [this.key.keyArn], conditions: CONTEXT_CONDITION }),
    );
  }
}
