/**
 * A job Lambda started by an EventBridge Scheduler schedule, with both failure paths caught:
 * the schedule could not deliver (throttled, permissions) → the scheduler's retry policy, then the job's
 * dead-letter queue; the job ran and failed → Lambda's asynchronous retries, then the same dead-letter queue.
 * One queue per job, one alarm: "this job did not run".
 */
import { Duration, Stack, TimeZone, Validations, type CfnElement } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  ScheduleExpression,
  Schedule,
  ScheduleTargetInput,
  ContextAttribute,
} from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { DeadLetterQueue } from "./dead-letter-queue";
import { SessionKeeperFunction, type SessionKeeperFunctionProps } from "./session-keeper-function";

export interface ScheduledJobProps {
  /** The job's function; its dead-letter queue and retries are set here. */
  readonly function: Omit<
    SessionKeeperFunctionProps,
    "deadLetterQueue" | "retryAttempts" | "maxEventAge" | "alarmTopic"
  >;
  /** An EventBridge Scheduler expression: `cron(…)`, `rate(…)`. */
  readonly schedule: string;
  /** IANA time zone the expression is read in. @default "Etc/UTC" */
  readonly timeZone?: string;
  /** What the schedule does, for the console. */
  readonly description: string;
  /** Where alarms go. */
  readonly alarmTopic: ITopic;
  /** Delivery retries by the scheduler. @default 3 */
  readonly scheduleRetryAttempts?: number;
  /**
   * Retries by Lambda of a run that failed. The jobs are idempotent (a session checked or cleaned twice is
   * harmless), so one retry is safe. @default 1
   */
  readonly runRetryAttempts?: number;
  /** A run not started within this time is dropped (the next scheduled run takes over). @default 1 hour */
  readonly maxEventAge?: Duration;
}

export class ScheduledJob extends Construct {
  readonly handler: SessionKeeperFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    this.deadLetterQueue = new DeadLetterQueue(this, "FailedRuns", {
      holds: `failed ${props.function.name} runs`,
      alarmTopic: props.alarmTopic,
    });
    this.handler = new SessionKeeperFunction(this, "Handler", {
      ...props.function,
      alarmTopic: props.alarmTopic,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: props.runRetryAttempts ?? 1,
      maxEventAge,
    });
    // Our own execution role, so its grant sits inside this job (and its acknowledgement with it).
    const schedulerRole = new Role(this, "SchedulerRole", {
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
      description: `Session Keeper: starts the ${props.function.name} job on schedule`,
    });
    const target = new LambdaInvoke(this.handler.function, {
      role: schedulerRole,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: props.scheduleRetryAttempts ?? 3,
      maxEventAge,
      // The scheduled time identifies the run: a job can use it to recognise a duplicate delivery.
      input: ScheduleTargetInput.fromObject({
        source: "session-keeper.schedule",
        job: props.function.name,
        scheduledTime: ContextAttribute.scheduledTime,
        executionId: ContextAttribute.executionId,
      }),
    });
    this.schedule = new Schedule(this, "Schedule", {
      schedule: ScheduleExpression.expression(props.schedule, TimeZone.of(props.timeZone ?? "Etc/UTC")),
      target,
      description: props.description,
    });
    Validations.of(this.handler.function).acknowledge({
      id: "Serverless-LambdaAsyncFailureDestination",
      reason:
        "A failed run goes to the job's dead-letter queue (DeadLetterConfig), the same queue the schedule's " +
        "delivery failures go to, with one alarm; an on-failure destination as well would deliver it twice.",
    });
    const fnLogicalId = Stack.of(this).resolve(
      (this.handler.function.node.defaultChild as CfnElement).logicalId,
    );
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${String(fnLogicalId)}.Arn>:*]`,
      reason:
        "lambda:InvokeFunction on this one job function and its versions/aliases (`<function ARN>:*`), " +
        "as CDK's grantInvoke writes it; no other function.",
    });
  }
}
