/**
 * One Lambda function of Session Keeper: bundled from its entry point with the shared options, with its own role,
 * its own log group (kept for a set time) and an alarm on its errors.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import * as path from "node:path";
import { ENTRY_POINTS, LAMBDA_BUNDLING, PROJECT_ROOT, type FunctionName } from "../bundling";

export interface SessionKeeperFunctionProps {
  /** Which entry point of `functions/` this is (see `ENTRY_POINTS`). */
  readonly name: FunctionName;
  /** One line for the Lambda console: what the function does for the operator. */
  readonly description: string;
  /** Environment variables (the contract of `lib/config.ts`); `NODE_OPTIONS` is added here. */
  readonly environment: Readonly<Record<string, string>>;
  /** How long CloudWatch keeps the function's logs. */
  readonly logRetention: RetentionDays;
  /** Where the error alarm goes. */
  readonly alarmTopic: ITopic;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** In MB; CPU grows with it. @default 512 */
  readonly memorySize?: number;
  /** Asynchronous invocations (schedules) that still fail after `retryAttempts` land here. @default none */
  readonly deadLetterQueue?: IQueue;
  /** Retries of a failed asynchronous invocation (0–2). @default 2 (Lambda's) */
  readonly retryAttempts?: number;
  /** Oldest asynchronous event still worth running. @default 6 hours (Lambda's) */
  readonly maxEventAge?: Duration;
}

export class SessionKeeperFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: SessionKeeperFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention,
      // Logs are evidence after an incident: kept when the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole, whose log permissions reach every log group in the
    // account: this one writes to its own log group and nothing else until a grant says so.
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Session Keeper ${props.name}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, "Function", {
      entry: path.join(PROJECT_ROOT, ENTRY_POINTS[props.name]),
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      // Graviton: cheaper per GB-second, and nothing here is native x86 code.
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      bundling: LAMBDA_BUNDLING,
      environment: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" },
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
      ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
    });
    Validations.of(this.function).acknowledge({
      id: "Serverless-LambdaTracing",
      reason:
        "No X-Ray: structured logs (Powertools Logger, with the phone and update id as keys) and EMF metrics cover " +
        "diagnosis, and X-Ray's write permission can only be granted on Resource::*.",
    });

    this.errorsAlarm = new Alarm(this, "Errors", {
      alarmDescription: `Session Keeper ${props.name} failed: read its log group ${this.logGroup.logGroupName}.`,
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
