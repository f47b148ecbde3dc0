/**
 * The KMS key that wraps the data keys of session strings (envelope encryption, `lib/crypto`).
 *
 * Its key policy refuses every cryptographic use that does not carry the encryption context
 * `app = session-keeper`, whoever asks (administrators included): a ciphertext of ours can only be opened through
 * our code path, which also binds the row's identity into the context. Grants to functions are narrow on top:
 * `kms:Decrypt` to the functions that open sessions, `kms:GenerateDataKey` to the ones that store them, each
 * conditioned on the same context.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { AnyPrincipal, Effect, PolicyStatement, type IGrantable } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

/** The encryption context entry every session ciphertext carries (see `lib/crypto/envelope.ts`). */
export const SESSION_KEY_CONTEXT = { app: "session-keeper" } as const;

const CONTEXT_CONDITION = {
  StringEquals: { "kms:EncryptionContext:app": SESSION_KEY_CONTEXT.app },
};

export interface SessionKeyProps {
  /** Alias operators see in the KMS console. @default "alias/session-keeper/sessions" */
  readonly alias?: string;
}

export class SessionKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SessionKeyProps = {}) {
    super(scope, id);
    this.key = new Key(this, "Key", {
      description: "Session Keeper: wraps the data keys of Telegram session strings (envelope encryption)",
      alias: props.alias ?? "alias/session-keeper/sessions",
      // Rotation keeps the old key material, so sessions sealed before a rotation still open.
      enableKeyRotation: true,
      // Deleting this key makes every stored session unreadable: keep it, and give a mistaken deletion the
      // longest window to be cancelled.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: "RequireSessionKeeperEncryptionContext",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        resources: ["*"],
        // A missing key counts as "not equal", so a call without any context is refused too.
        conditions: { StringNotEquals: { "kms:EncryptionContext:app": SESSION_KEY_CONTEXT.app } },
      }),
    );
  }

  /** Lets `grantee` open stored sessions (unwrap their data keys). */
  grantOpenSessions(grantee: IGrantable): void {
    this.grant(grantee, "kms:Decrypt");
  }

  /** Lets `grantee` seal new session strings (fresh data keys). */
  grantStoreSessions(grantee: IGrantable): void {
    this.grant(grantee, "kms:GenerateDataKey");
  }

  private grant(grantee: IGrantable, action: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: [action], resources: [this.key.keyArn], conditions: CONTEXT_CONDITION }),
    );
  }
}
