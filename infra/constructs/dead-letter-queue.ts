/**
 * An SQS queue that holds what failed for good (a poison health-check message, a schedule run that kept failing),
 * with an alarm as soon as anything is in it: a message there means an operator should look.
 */
import { Duration, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface DeadLetterQueueProps {
  /** What ends up here, for the alarm's description. */
  readonly holds: string;
  /** Where the alarm goes. */
  readonly alarmTopic: ITopic;
}

export class DeadLetterQueue extends Construct {
  readonly queue: Queue;
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, "Queue", {
      // The longest SQS allows: time for an operator to look, and redrive, after a holiday.
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.queue).acknowledge({
      id: "Serverless-SQSRedrivePolicy",
      reason:
        "This is a dead-letter queue, the end of the line: its messages wait for an operator, who redrives them.",
    });
    this.alarm = new Alarm(this, "NotEmpty", {
      alarmDescription: `Session Keeper: ${props.holds} are waiting in a dead-letter queue. Read the messages, fix the cause, then redrive them.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: "Maximum",
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
