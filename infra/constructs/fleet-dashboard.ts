/**
 * One CloudWatch dashboard for the operator: the fleet by status over time, what each daily run checked and found,
 * how long a check takes, how the webhook answers, what waits in the dead-letter queues, and every alarm.
 *
 * The jobs' own metrics are EMF (`lib/jobs/metrics.ts`), dimensioned by `service`, `job` and, for some, `status` or
 * `reason`. They are drawn through SEARCH expressions summed over those dimensions, so a new failure reason or a
 * renamed job shows up without a change here.
 */
import { Duration } from "aws-cdk-lib";
import type { IHttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  MathExpression,
  type IAlarm,
  type IMetric,
  type IWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SESSION_STATUSES } from "../../lib/sessions/session";

export interface FleetDashboardProps {
  /** CloudWatch namespace of the jobs' EMF metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly namespace: string;
  /** The webhook's function and API. */
  readonly webhookFunction: IFunction;
  readonly api: IHttpApi;
  /** Dead-letter queues by what they hold, e.g. "health checks". */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  readonly alarms: readonly IAlarm[];
  /** @default "SessionKeeper" */
  readonly dashboardName?: string;
}

/** Runs are daily: one point per day per run metric. */
const DAY = Duration.days(1);
const WIDE = 12;

export class FleetDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: FleetDashboardProps) {
    super(scope, id);
    const ns = props.namespace;
    /** Every series of `metric` (any job, any reason), combined per time step by `combine`. */
    const search = (
      metric: string,
      dims: string,
      statistic: string,
      label: string,
      combine = "SUM",
      filter = "",
      period = DAY,
    ): IMetric =>
      new MathExpression({
        expression: `${combine}(SEARCH('{${ns},${dims}} MetricName="${metric}"${filter}', '${statistic}', ${period.toSeconds()}))`,
        label,
        period,
      });

    const fleet = new GraphWidget({
      title: "Sessions by status",
      width: WIDE,
      stacked: true,
      left: SESSION_STATUSES.map((status) =>
        // A gauge written at the end of each run and cleanup: the latest value per day, whichever job wrote it.
        search("FleetSessions", "job,service,status", "Maximum", status, "MAX", ` status="${status}"`),
      ),
    });
    const runs = new GraphWidget({
      title: "Checks and failures per run",
      width: WIDE,
      view: GraphWidgetView.BAR,
      left: [
        search("SessionsChecked", "job,service", "Sum", "checked"),
        search("SessionsHealthy", "job,service", "Sum", "healthy"),
        search("SessionsFailed", "job,reason,service", "Sum", "failed (all reasons)"),
        search("SessionsFloodWaited", "job,service", "Sum", "flood-waited"),
        search("SessionsTransient", "job,service", "Sum", "transient"),
        search("SessionsFrozen", "job,service", "Sum", "frozen"),
        search("SessionsDeletedByCleanup", "job,service", "Sum", "deleted by cleanup"),
      ],
    });
    const duration = new GraphWidget({
      title: "Check duration (ms)",
      width: WIDE,
      left: [
        // Percentiles of one series (only the worker writes CheckDuration); MAX only picks it out of the search.
        search("CheckDuration", "job,service", "p50", "p50", "MAX"),
        search("CheckDuration", "job,service", "p99", "p99", "MAX"),
      ],
    });
    const fiveMinutes = { period: Duration.minutes(5) };
    const webhookErrors = new GraphWidget({
      title: "Webhook errors",
      width: WIDE,
      left: [
        props.api.metricServerError({ ...fiveMinutes, statistic: "Sum", label: "API 5xx" }),
        props.api.metricClientError({
          ...fiveMinutes,
          statistic: "Sum",
          label: "API 4xx (forged or throttled)",
        }),
        props.webhookFunction.metricErrors({ ...fiveMinutes, statistic: "Sum", label: "AdminBot errors" }),
        props.webhookFunction.metricThrottles({
          ...fiveMinutes,
          statistic: "Sum",
          label: "AdminBot throttles",
        }),
      ],
    });
    const webhookLatency = new GraphWidget({
      title: "Webhook latency (ms)",
      width: WIDE,
      left: [
        props.api.metricLatency({ ...fiveMinutes, statistic: "p50", label: "API p50" }),
        props.api.metricLatency({ ...fiveMinutes, statistic: "p99", label: "API p99" }),
        props.webhookFunction.metricDuration({ ...fiveMinutes, statistic: "p99", label: "AdminBot p99" }),
      ],
    });
    const deadLetters = new GraphWidget({
      title: "Dead-letter queue depths",
      width: WIDE,
      left: Object.entries(props.deadLetterQueues).map(([holds, queue]) =>
        queue.metricApproximateNumberOfMessagesVisible({
          ...fiveMinutes,
          statistic: "Maximum",
          label: holds,
        }),
      ),
    });
    const alarms = new AlarmStatusWidget({
      title: "Alarms",
      width: 2 * WIDE,
      alarms: [...props.alarms],
    });

    const rows: IWidget[][] = [
      [fleet, runs],
      [duration, deadLetters],
      [webhookErrors, webhookLatency],
      [alarms],
    ];
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName ?? "SessionKeeper",
      defaultInterval: Duration.days(30),
      widgets: rows,
    });
  }
}
