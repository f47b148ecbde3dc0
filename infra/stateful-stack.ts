/**
 * What must outlive any deployment: the two tables, the keys, the secrets. Kept apart from the functions so that
 * redeploying or even deleting the service stack never touches a stored session.
 */
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Validations,
  type StackProps,
} from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import type { Role } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { BOT_STATE_TABLE, SESSIONS_TABLE } from "../lib/tables";
import { SESSION_KEY_USE, type KeyUser } from "./access";
import { OperatorRole } from "./constructs/operator-role";
import { SessionKey } from "./constructs/session-key";
import { SessionKeeperTable } from "./constructs/session-keeper-table";

/** Keys of the app secret's JSON value, as `lib/secrets.ts` reads them. */
export const APP_SECRET_KEYS = ["BOT_TOKEN", "API_ID", "API_HASH"] as const;

/** Telegram accepts 1–256 characters of A-Z, a-z, 0-9, `_` and `-` as a webhook secret token. */
export const WEBHOOK_SECRET_LENGTH = 48;
/** 32 letters and digits: about 190 bits, beyond any guessing. */
export const WEBHOOK_PATH_LENGTH = 32;

export interface StatefulStackProps extends StackProps {
  /** Prefix of KMS aliases, so two deployments can share an account. @default "session-keeper" */
  readonly aliasPrefix?: string;
  /** The names of the roles that use the session key (`roleName` in `infra/access.ts`), the operator's included. */
  readonly roleNames: Readonly<Record<KeyUser, string>>;
  /**
   * Who may assume the operator role: IAM user or role ARNs, or account ids. @default the account (any identity
   * there whose own IAM policy allows `sts:AssumeRole` on the role)
   */
  readonly operatorPrincipals?: readonly string[];
}

export class StatefulStack extends Stack {
  readonly sessionsTable: ITableV2;
  readonly botStateTable: ITableV2;
  /** Encrypts both tables at rest (DynamoDB uses it; no function calls it directly). */
  readonly tableKey: Key;
  /** Wraps the data keys of session strings; functions call it directly, with the encryption context. */
  readonly sessionKey: SessionKey;
  /** JSON `{ BOT_TOKEN, API_ID, API_HASH }`, put by the operator after the first deploy. */
  readonly appSecret: Secret;
  /** Generated; Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token` on every webhook call. */
  readonly webhookSecret: Secret;
  /**
   * Generated; the last segment of the webhook's path (`POST /webhook/<it>`), so a caller who knows only the API's
   * host name cannot reach the webhook's route (nor spend its throttle). Independent of `webhookSecret`: the path is
   * readable by anyone who may read the API's configuration, and must not give away the header token.
   */
  readonly webhookPathSecret: Secret;
  /** Generated; the key of the HMAC that names a session in the session key's encryption context. */
  readonly contextKeySecret: Secret;

  /** The CLI's role in AWS (break-glass): the only identity outside the functions that may use the session key. */
  readonly operatorRole: Role;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    const aliasPrefix = props.aliasPrefix ?? "session-keeper";

    this.tableKey = new Key(this, "TableKey", {
      description: "Session Keeper: encrypts the sessions and bot-state tables at rest",
      alias: `alias/${aliasPrefix}/tables`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    const roleArn = (user: KeyUser) =>
      this.formatArn({
        service: "iam",
        region: "",
        resource: "role",
        resourceName: props.roleNames[user],
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.sessionKey = new SessionKey(this, "SessionKey", {
      alias: `alias/${aliasPrefix}/sessions`,
      storers: SESSION_KEY_USE.store.map(roleArn),
      openers: SESSION_KEY_USE.open.map(roleArn),
    });

    this.sessionsTable = new SessionKeeperTable(this, "Sessions", {
      definition: SESSIONS_TABLE,
      encryptionKey: this.tableKey,
    }).table;
    this.botStateTable = new SessionKeeperTable(this, "BotState", {
      definition: BOT_STATE_TABLE,
      encryptionKey: this.tableKey,
    }).table;

    this.appSecret = new Secret(this, "AppSecret", {
      description:
        'Session Keeper: {"BOT_TOKEN","API_ID","API_HASH"}. Put the real values with aws secretsmanager put-secret-value.',
      // Empty placeholders, never a value: the functions answer "put it with aws secretsmanager put-secret-value"
      // until the operator does. CloudFormation only writes this value when the secret is created, so a later
      // deploy never overwrites what the operator put (as long as this placeholder is left unchanged).
      secretStringValue: SecretValue.unsafePlainText(
        JSON.stringify(Object.fromEntries(APP_SECRET_KEYS.map((k) => [k, ""]))),
      ),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.webhookSecret = new Secret(this, "WebhookSecret", {
      description: "Session Keeper: the webhook secret token Telegram sends back with every update.",
      generateSecretString: {
        passwordLength: WEBHOOK_SECRET_LENGTH,
        // Letters and digits only: a subset of what Telegram accepts in secret_token.
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.webhookPathSecret = new Secret(this, "WebhookPathSecret", {
      description:
        "Session Keeper: the webhook's secret path segment (POST /webhook/<this>); npm run webhook:set registers it.",
      generateSecretString: {
        passwordLength: WEBHOOK_PATH_LENGTH,
        // Letters and digits only: safe in a URL path and in an API Gateway route key.
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.contextKeySecret = new Secret(this, "ContextKeySecret", {
      description:
        "Session Keeper: the key of the keyed hash that names a session in the session key's encryption context " +
        "(CloudTrail shows the context). Read by the functions that seal and open sessions.",
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.contextKeySecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "Every sealed session names its row by a hash under this key: a new value would leave every existing row " +
        "unopenable, so it is never rotated by Secrets Manager.",
    });
    const noRotation =
      "is rotated by hand (runbook in README: Deploy); Secrets Manager cannot rotate it because the new value must be " +
      "registered with Telegram at the same moment (@BotFather for the bot token, setWebhook for the webhook secret).";
    Validations.of(this.appSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: `The app secret ${noRotation}`,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: `The webhook secret ${noRotation}`,
    });
    Validations.of(this.webhookPathSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The webhook path is rotated by hand (README: Rotating the secrets): the API's route must be redeployed and " +
        "registered with Telegram (setWebhook) with the new value, which Secrets Manager rotation cannot do.",
    });

    this.operatorRole = new OperatorRole(this, "Operator", {
      roleName: props.roleNames.operator,
      trustedBy: props.operatorPrincipals ?? [],
      sessionsTable: this.sessionsTable,
      botStateTable: this.botStateTable,
      tableKey: this.tableKey,
      sessionKey: this.sessionKey,
      secrets: [this.appSecret, this.webhookSecret, this.webhookPathSecret, this.contextKeySecret],
    }).role;

    // The names operators and the CLI use (lib/config.ts hints name these outputs).
    new CfnOutput(this, "SessionsTableName", { value: this.sessionsTable.tableName });
    new CfnOutput(this, "BotStateTableName", { value: this.botStateTable.tableName });
    new CfnOutput(this, "SessionKeyArn", { value: this.sessionKey.key.keyArn });
    new CfnOutput(this, "AppSecretArn", { value: this.appSecret.secretArn });
    new CfnOutput(this, "WebhookSecretArn", { value: this.webhookSecret.secretArn });
    new CfnOutput(this, "WebhookPathSecretArn", { value: this.webhookPathSecret.secretArn });
    new CfnOutput(this, "ContextKeySecretArn", { value: this.contextKeySecret.secretArn });
    new CfnOutput(this, "OperatorRoleArn", {
      value: this.operatorRole.roleArn,
      description: "Assume it to run the sessions CLI against this deployment (README: Deploy)",
    });
  }
}
