/**
 * Everything that runs: the AdminBot webhook, the daily health check (dispatch → queue → worker), the weekly
 * cleanup, their alarms. It holds no data: it can be deleted and deployed again without losing a session.
 */
import {
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  SecretValue,
  Stack,
  Validations,
  type StackProps,
} from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  HttpRoute,
  HttpRouteKey,
  type CfnStage,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Alarm, ComparisonOperator, TreatMissingData, type Dashboard } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Policy, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { DEAD_LETTER_QUEUE_OUTPUTS, SCHEDULE_OUTPUTS, SERVICE_OUTPUTS } from "../lib/deployment";
import { MAX_RECEIVES, WORKER_BATCH_SIZE } from "../lib/jobs/scale";
import { BY_REVOCATION_INDEX, BY_STATUS_INDEX } from "../lib/tables";
import { botStateGrants, SESSION_KEY_USE, sessionsGrants } from "./access";
import type { FunctionName } from "./bundling";
import { DeadLetterQueue } from "./constructs/dead-letter-queue";
import { EdgeDistribution } from "./constructs/edge-distribution";
import { FleetDashboard } from "./constructs/fleet-dashboard";
import { ScheduledJob } from "./constructs/scheduled-job";
import { SessionKeeperFunction } from "./constructs/session-keeper-function";
import { grantTableAccess } from "./constructs/table-access";
import { FLEET_DATA_PATH, FLEET_PATH, LOGIN_PATH, LOGIN_STEPS } from "../lib/miniapp/routes";
import type { DeploymentSettings } from "./settings";
import type { StatefulStack } from "./stateful-stack";
import { WEBHOOK_ROUTE } from "./webhook-path";

/**
 * Where Telegram posts updates: `POST /webhook/<path secret>`. The last segment is the stateful stack's generated
 * webhook path secret, resolved by CloudFormation into the route (a dynamic reference), so the route exists only
 * under a path nobody can guess and any other path is answered 404 by API Gateway before reaching any route.
 */
export { WEBHOOK_ROUTE };
/**
 * The Mini App login page (`GET`; its URL is the AdminBot's `MINI_APP_URL`, put on a `web_app` button) and its JSON
 * calls, `POST /login/<step>`, each one a route of its own: a path that is not one of them is answered 404 by API
 * Gateway and never reaches the function. The same constants route requests inside the function.
 */
export const LOGIN_ROUTE = LOGIN_PATH;
export { LOGIN_STEPS };
/** The Mini App's routes, as API Gateway keys them (`METHOD /path`). Like the webhook, they reach the AdminBot. */
export const LOGIN_ROUTE_KEYS = [
  `GET ${LOGIN_ROUTE}`,
  ...LOGIN_STEPS.map((step) => `POST ${LOGIN_ROUTE}/${step}`),
] as const;
/** The Mini App's read-only fleet page (`GET /fleet`) and its data call; throttled like the login routes. */
export const FLEET_ROUTE_KEYS = [`GET ${FLEET_PATH}`, `POST ${FLEET_DATA_PATH}`] as const;
/** Namespace of the functions' own metrics (Powertools Metrics, EMF). */
export const METRICS_NAMESPACE = "SessionKeeper";
/** `POWERTOOLS_SERVICE_NAME` of every function: one service, so its metrics share one `service` dimension. */
export const SERVICE_NAME = "session-keeper";
/**
 * Sessions per SQS message batch handed to one worker invocation, and receives of one message before the DLQ: the
 * health check's design numbers, read from the job code itself so the queue and the worker cannot disagree.
 */
export const HEALTH_CHECK_BATCH_SIZE = WORKER_BATCH_SIZE;
export const HEALTH_CHECK_MAX_RECEIVES = MAX_RECEIVES;

export interface ServiceStackProps extends StackProps {
  /** The tables, keys and secrets the functions use. */
  readonly stateful: StatefulStack;
  /** Schedules, limits, log settings (see `infra/settings.ts`). */
  readonly settings: DeploymentSettings;
  /** The functions' role names, as the session key's policy names them (`roleName` in `infra/access.ts`). */
  readonly roleNames: Readonly<Record<FunctionName, string>>;
  /** The edge stack's web ACL, when per-caller rate limiting is on: a CloudFront distribution fronts the API. */
  readonly edgeWebAclArn?: string;
}

export class ServiceStack extends Stack {
  readonly adminBot: SessionKeeperFunction;
  readonly healthCheck: ScheduledJob;
  readonly healthCheckWorker: SessionKeeperFunction;
  readonly cleanup: ScheduledJob;
  readonly healthCheckQueue: Queue;
  readonly healthCheckDeadLetters: DeadLetterQueue;
  readonly api: HttpApi;
  readonly alarmTopic: Topic;
  /** The operator's CloudWatch dashboard (named after the stack prefix). */
  readonly dashboard: Dashboard;
  /** The webhook's URL without its secret last segment (`…/webhook`); `npm run webhook:set` appends it. */
  readonly webhookUrl: string;
  /** The Mini App login page's https URL (the AdminBot's `MINI_APP_URL`). */
  readonly miniAppUrl: string;
  /** With per-caller rate limiting on (setting `edgeRateLimit`): the CloudFront distribution in front of the API. */
  readonly edge?: EdgeDistribution;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { stateful, settings } = props;
    const logRetention = retentionDays(settings.logRetentionDays);

    this.alarmTopic = new Topic(this, "Alarms", { displayName: "Session Keeper alarms", enforceSSL: true });
    Validations.of(this.alarmTopic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "Alarm notifications carry alarm names and metric values only, never session data. CloudWatch cannot " +
        "publish to a topic under the AWS-managed SNS key, and a customer key would protect nothing secret.",
    });
    if (settings.alarmEmail) {
      const email = this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
      Validations.of(email).acknowledge({
        id: "Serverless-SNSRedrivePolicy",
        reason:
          "An alarm email that cannot be delivered needs no queue: the alarm stays in ALARM state in CloudWatch, " +
          "where the operator sees it, until its cause is fixed.",
      });
    }

    // The contract of lib/config.ts and lib/secrets.ts. Secrets travel as ARNs only, read at run time.
    const common = {
      SESSIONS_TABLE: stateful.sessionsTable.tableName,
      BOT_STATE_TABLE: stateful.botStateTable.tableName,
      KMS_KEY_ID: stateful.sessionKey.key.keyArn,
      APP_SECRET_ARN: stateful.appSecret.secretArn,
      LOG_LEVEL: settings.logLevel,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    const sessions = { table: stateful.sessionsTable, tableKey: stateful.tableKey };
    const botState = { table: stateful.botStateTable, tableKey: stateful.tableKey };

    // --- AdminBot: the webhook ---------------------------------------------------------------------------
    this.adminBot = new SessionKeeperFunction(this, "AdminBot", {
      name: "adminBot",
      roleName: props.roleNames.adminBot,
      description:
        "Session Keeper AdminBot: answers Telegram updates posted to the webhook, serves the Mini App login",
      environment: { ...common, WEBHOOK_SECRET_ARN: stateful.webhookSecret.secretArn },
      // Under API Gateway's 30 s limit; a login step (MTProto key exchange) or "Check now" needs the headroom.
      timeout: Duration.seconds(29),
      // More memory buys CPU: a cold start and GramJS's key exchange run faster.
      memorySize: 1024,
      logRetention,
      alarmTopic: this.alarmTopic,
    });
    Validations.of(this.adminBot.function).acknowledge({
      id: "Serverless-LambdaDLQ",
      reason:
        "Invoked synchronously by API Gateway, where a dead-letter queue never receives anything: an update that " +
        "fails is answered non-2xx and Telegram delivers it again.",
    });
    // byRevocation: a login again finishing a store whose answer was lost finds the old key it moved aside.
    grantTableAccess(this.adminBot.role, {
      ...sessions,
      items: sessionsGrants("adminBot"),
      indexes: [BY_STATUS_INDEX, BY_REVOCATION_INDEX],
    });
    grantTableAccess(this.adminBot.role, { ...botState, items: botStateGrants("adminBot") });
    grantSessionKey(stateful, "adminBot", this.adminBot);
    stateful.appSecret.grantRead(this.adminBot.role);
    stateful.webhookSecret.grantRead(this.adminBot.role);

    const accessLogs = new LogGroup(this, "WebhookAccessLogs", {
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new HttpApi(this, "WebhookApi", {
      description:
        "Session Keeper: Telegram posts AdminBot updates here; the Mini App login talks to it here",
      createDefaultStage: false,
    });
    // One integration for every route: one function, each route with its own invoke permission.
    const adminBotIntegration = new HttpLambdaIntegration("AdminBot", this.adminBot.function);
    // Read by CloudFormation at deploy time; the template holds only the reference. A new VersionId (setting
    // webhookPathVersion) makes CloudFormation read a rotated value, which it otherwise never does on an update.
    const pathSecret = SecretValue.secretsManager(stateful.webhookPathSecret.secretArn, {
      ...(settings.webhookPathVersion ? { versionId: settings.webhookPathVersion } : {}),
    }).unsafeUnwrap();
    // Made by hand: addRoutes names the construct after the path, which here is a token.
    const webhookRoute = new HttpRoute(this.api, "WebhookRoute", {
      httpApi: this.api,
      routeKey: HttpRouteKey.with(`${WEBHOOK_ROUTE}/${pathSecret}`, HttpMethod.POST),
      integration: adminBotIntegration,
    });
    for (const route of [webhookRoute])
      Validations.of(route).acknowledge({
        id: "AwsSolutions-APIG4",
        reason:
          "Telegram cannot sign requests or present credentials: the webhook is authenticated by the secret token " +
          "Telegram sends in X-Telegram-Bot-Api-Secret-Token, which the AdminBot compares in constant time before " +
          "reading the update (401 otherwise). The route's path ends in a generated secret, so a caller who knows " +
          "only the host name cannot reach it; stage throttling bounds the cost of forged calls.",
      });
    const loginRoutes: HttpRoute[] = [
      ...this.api.addRoutes({
        path: LOGIN_ROUTE,
        methods: [HttpMethod.GET],
        integration: adminBotIntegration,
      }),
      ...LOGIN_STEPS.flatMap((step) =>
        this.api.addRoutes({
          path: `${LOGIN_ROUTE}/${step}`,
          methods: [HttpMethod.POST],
          integration: adminBotIntegration,
        }),
      ),
      ...this.api.addRoutes({
        path: FLEET_PATH,
        methods: [HttpMethod.GET],
        integration: adminBotIntegration,
      }),
      ...this.api.addRoutes({
        path: FLEET_DATA_PATH,
        methods: [HttpMethod.POST],
        integration: adminBotIntegration,
      }),
    ];
    for (const route of loginRoutes)
      Validations.of(route).acknowledge({
        id: "AwsSolutions-APIG4",
        reason:
          "The Mini App page runs inside Telegram, which gives it no AWS credentials or token an API Gateway " +
          "authorizer could check: each login call carries Telegram's signed initData, which the AdminBot verifies " +
          "(HMAC-SHA256 keyed with the bot token) and refuses on mismatch before any write or read of data. GET " +
          "/login and GET /fleet serve only static pages. Route throttling (loginRateLimit, loginBurstLimit) bounds the cost of forged calls.",
      });
    const stage = new HttpStage(this, "WebhookStage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      // Caps what a flood of forged requests can cost; Telegram itself is told to stay below it (setWebhook
      // max_connections in infra/webhook.ts).
      throttle: { rateLimit: settings.webhookRateLimit, burstLimit: settings.webhookBurstLimit },
      // The login routes get their own, lower limits (routeSettings below).
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // Who called, what answered. No headers (the secret token travels in one) and no body (updates can carry
        // login codes).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            time: "$context.requestTime",
            sourceIp: "$context.identity.sourceIp",
            // The route's id, not its key: the webhook's key holds the path secret.
            routeId: "$context.routeId",
            status: "$context.status",
            responseLength: "$context.responseLength",
            latencyMs: "$context.responseLatency",
            integrationLatencyMs: "$context.integrationLatency",
            integrationError: "$context.integrationErrorMessage",
          }),
        ),
      },
    });
    // A person types a login code: the login routes are throttled far below the webhook. The HTTP API L2 has no
    // per-route throttling, so it is set on the stage resource, keyed by route key.
    (stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      [...LOGIN_ROUTE_KEYS, ...FLEET_ROUTE_KEYS].map((key) => [
        key,
        { ThrottlingRateLimit: settings.loginRateLimit, ThrottlingBurstLimit: settings.loginBurstLimit },
      ]),
    );
    // CloudFormation refuses route settings for a route it has not created yet.
    stage.node.addDependency(...loginRoutes);

    // With per-caller limiting on, Telegram and the Mini App are given the distribution's address, so their calls
    // pass the web ACL; the API's own address keeps its stage throttling.
    if (props.edgeWebAclArn)
      this.edge = new EdgeDistribution(this, "Edge", { api: this.api, webAclArn: props.edgeWebAclArn });
    const baseUrl = this.edge ? this.edge.baseUrl : stage.url.replace(/\/$/, "");
    this.webhookUrl = `${baseUrl}${WEBHOOK_ROUTE}`;
    // Built from the API's id alone (the $default stage has no path), so the function depends on the API and not
    // the other way round: the API's routes depend on the function's ARN, not on its environment.
    this.miniAppUrl = `${baseUrl}${LOGIN_ROUTE}`;
    this.adminBot.function.addEnvironment("MINI_APP_URL", this.miniAppUrl);

    new Alarm(this, "WebhookServerErrors", {
      alarmDescription:
        "Session Keeper: the webhook answered 5xx, so Telegram is re-sending updates. Read the AdminBot logs.",
      metric: this.api.metricServerError({ period: Duration.minutes(5), statistic: "Sum" }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.alarmTopic));

    // --- Health check: dispatch → queue → worker -----------------------------------------------------------
    const checkDeadline = Duration.seconds(settings.checkDeadlineSeconds);
    // One invocation checks a batch in rounds of `workerConcurrency`, each round bounded by the check deadline;
    // the margin covers the cold start and the writes after the last check.
    const rounds = Math.ceil(HEALTH_CHECK_BATCH_SIZE / settings.workerConcurrency);
    const workerTimeout = Duration.seconds(Math.max(60, rounds * settings.checkDeadlineSeconds + 30));

    this.healthCheckDeadLetters = new DeadLetterQueue(this, "HealthCheckDeadLetters", {
      holds: "sessions whose health check failed 3 times",
      alarmTopic: this.alarmTopic,
    });
    this.healthCheckQueue = new Queue(this, "HealthCheckQueue", {
      // AWS's rule for Lambda consumers: at least 6× the function timeout, so a message is not handed to a second
      // worker while the first still runs (and still holds the session's lease).
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * 6),
      // Tomorrow's run sends every active session again; older messages are not worth keeping.
      retentionPeriod: Duration.days(1),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: {
        queue: this.healthCheckDeadLetters.queue,
        maxReceiveCount: HEALTH_CHECK_MAX_RECEIVES,
      },
    });

    this.healthCheck = new ScheduledJob(this, "HealthCheck", {
      description: "Session Keeper: daily health check of every active session",
      schedule: settings.healthCheckSchedule,
      timeZone: settings.scheduleTimeZone,
      alarmTopic: this.alarmTopic,
      // A dispatch retried after a crash half-way is ignored as a duplicate of its run id (so no session is queued
      // twice); the unfinished run is reported by the next day's dispatch. A retry would only look like a second try.
      runRetryAttempts: 0,
      function: {
        name: "healthCheckDispatch",
        roleName: props.roleNames.healthCheckDispatch,
        description: "Session Keeper health check: queues every active session for a check",
        environment: { ...common, HEALTH_CHECK_QUEUE_URL: this.healthCheckQueue.queueUrl },
        // Pages through the active sessions and queues them: minutes for 10,000 sessions, never near 15.
        timeout: Duration.minutes(5),
        memorySize: 256,
        logRetention,
      },
    });
    const dispatch = this.healthCheck.handler;
    grantTableAccess(dispatch.role, {
      ...sessions,
      items: sessionsGrants("healthCheckDispatch"),
      indexes: [BY_STATUS_INDEX],
    });
    grantTableAccess(dispatch.role, { ...botState, items: botStateGrants("healthCheckDispatch") });
    stateful.appSecret.grantRead(dispatch.role);
    this.healthCheckQueue.grantSendMessages(dispatch.role);

    this.healthCheckWorker = new SessionKeeperFunction(this, "HealthCheckWorker", {
      name: "healthCheckWorker",
      roleName: props.roleNames.healthCheckWorker,
      description: "Session Keeper health check: checks a batch of sessions with getMe",
      environment: {
        ...common,
        WORKER_CONCURRENCY: String(settings.workerConcurrency),
        CHECK_DEADLINE_MS: String(checkDeadline.toMilliseconds()),
      },
      timeout: workerTimeout,
      memorySize: 1024,
      logRetention,
      alarmTopic: this.alarmTopic,
    });
    const worker = this.healthCheckWorker;
    this.healthCheckWorker.function.addEventSource(
      new SqsEventSource(this.healthCheckQueue, {
        batchSize: HEALTH_CHECK_BATCH_SIZE,
        // Only the sessions that failed go back to the queue, not the whole batch.
        reportBatchItemFailures: true,
        // At most this many workers at once: a bounded number of MTProto connections from Lambda's IP ranges,
        // without reserving account concurrency (a new account has too little to reserve any).
        maxConcurrency: settings.healthCheckMaxConcurrency,
      }),
    );
    Validations.of(worker.function).acknowledge({
      id: "Serverless-LambdaDLQ",
      reason:
        "Invoked by its SQS event source, where a function dead-letter queue never receives anything: failed " +
        "messages reach the health-check dead-letter queue through the queue's redrive policy (3 receives).",
    });
    Validations.of(worker.function).acknowledge({
      id: "Serverless-LambdaEventSourceMappingDestination",
      reason:
        "SQS event sources take no on-failure destination; the queue's redrive policy moves a message that " +
        "failed 3 times to the health-check dead-letter queue, which has an alarm.",
    });
    // The batch that ends a run counts the fleet by status (lib/jobs/finish.ts) for the summary and the metrics.
    grantTableAccess(worker.role, {
      ...sessions,
      items: sessionsGrants("healthCheckWorker"),
      indexes: [BY_STATUS_INDEX],
    });
    grantTableAccess(worker.role, { ...botState, items: botStateGrants("healthCheckWorker") });
    grantSessionKey(stateful, "healthCheckWorker", worker);
    stateful.appSecret.grantRead(worker.role);

    // --- Cleanup ---------------------------------------------------------------------------------------------
    this.cleanup = new ScheduledJob(this, "Cleanup", {
      description:
        "Session Keeper: weekly retry of pending logouts, and logout and deletion of sessions in error for longer " +
        "than the cut-off",
      schedule: settings.cleanupSchedule,
      timeZone: settings.scheduleTimeZone,
      alarmTopic: this.alarmTopic,
      function: {
        name: "cleanup",
        roleName: props.roleNames.cleanup,
        description:
          `Session Keeper cleanup: logs out and deletes error sessions not updated for ${settings.cleanupAfterDays} ` +
          "days, retries pending logouts",
        environment: { ...common, CLEANUP_AFTER_DAYS: String(settings.cleanupAfterDays) },
        timeout: Duration.minutes(10),
        memorySize: 512,
        logRetention,
      },
    });
    const cleanup = this.cleanup.handler;
    // byStatus finds the old errors, byRevocation the deleted sessions whose logout is still pending.
    grantTableAccess(cleanup.role, {
      ...sessions,
      items: sessionsGrants("cleanup"),
      indexes: [BY_STATUS_INDEX, BY_REVOCATION_INDEX],
    });
    grantTableAccess(cleanup.role, { ...botState, items: botStateGrants("cleanup") });
    // It opens each key to log it out at Telegram before destroying it (the session key's open use, and the API
    // id/hash from the app secret); it never seals a session and never calls the Bot API.
    grantSessionKey(stateful, "cleanup", cleanup);
    stateful.appSecret.grantRead(cleanup.role);

    const deadLetterQueues = [
      ["health checks", this.healthCheckDeadLetters],
      ["health check schedule", this.healthCheck.deadLetterQueue],
      ["cleanup schedule", this.cleanup.deadLetterQueue],
    ] as const satisfies readonly (readonly [keyof typeof DEAD_LETTER_QUEUE_OUTPUTS, DeadLetterQueue])[];
    // Every alarm made above (functions, dead-letter queues, the webhook), found rather than listed, so a new one
    // shows on the dashboard too.
    const alarms = this.node.findAll().filter((c): c is Alarm => c instanceof Alarm);
    this.dashboard = new FleetDashboard(this, "Dashboard", {
      dashboardName: settings.stackPrefix,
      namespace: METRICS_NAMESPACE,
      webhookFunction: this.adminBot.function,
      api: this.api,
      deadLetterQueues: Object.fromEntries(deadLetterQueues.map(([name, q]) => [name, q.queue])),
      alarms,
    }).dashboard;

    // What the operator's CLI reads or starts of this stack, and nothing else: `sessions check --all --deployed`
    // starts the dispatcher; `sessions status` reads the dead-letter queues' depths and the alarms; `sessions
    // doctor` reads whether the schedules are enabled. The operator role lives in the stateful stack; the grant
    // lives here, with the resources it names.
    const schedules = [
      ["health check", this.healthCheck],
      ["cleanup", this.cleanup],
    ] as const satisfies readonly (readonly [keyof typeof SCHEDULE_OUTPUTS, ScheduledJob])[];
    new Policy(this, "OperatorAccess", {
      roles: [stateful.operatorRole],
      statements: [
        new PolicyStatement({
          actions: ["lambda:InvokeFunction"],
          resources: [dispatch.function.functionArn],
        }),
        new PolicyStatement({
          actions: ["sqs:GetQueueAttributes"],
          resources: deadLetterQueues.map(([, q]) => q.queue.queueArn),
        }),
        new PolicyStatement({
          actions: ["cloudwatch:DescribeAlarms"],
          resources: alarms.map((a) => a.alarmArn),
        }),
        new PolicyStatement({
          actions: ["scheduler:GetSchedule"],
          resources: schedules.map(([, job]) => job.schedule.scheduleArn),
        }),
      ],
    });
    new CfnOutput(this, SERVICE_OUTPUTS.dispatcher, {
      value: dispatch.function.functionName,
      description: "The health check's dispatcher: sessions check --all --deployed starts it",
    });
    new CfnOutput(this, SERVICE_OUTPUTS.alarmNames, {
      value: Fn.join(
        ",",
        alarms.map((a) => a.alarmName),
      ),
      description: "Every alarm of this stack (sessions status shows those in ALARM)",
    });
    for (const [name, q] of deadLetterQueues)
      new CfnOutput(this, DEAD_LETTER_QUEUE_OUTPUTS[name], {
        value: q.queue.queueUrl,
        description: `The ${name} dead-letter queue (sessions status shows its depth)`,
      });
    for (const [name, job] of schedules)
      new CfnOutput(this, SCHEDULE_OUTPUTS[name], {
        value: job.schedule.scheduleName,
        description: `The ${name} schedule (sessions doctor checks it is enabled)`,
      });

    new CfnOutput(this, SERVICE_OUTPUTS.webhookUrl, {
      value: this.webhookUrl,
      description: "The webhook is this URL + /<webhook path secret>; register it with: npm run webhook:set",
    });
    new CfnOutput(this, "MiniAppUrl", {
      value: this.miniAppUrl,
      description: "The Mini App login page; the AdminBot puts it on a web_app button (MINI_APP_URL)",
    });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarmTopic.topicArn });
    new CfnOutput(this, "DashboardUrl", {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${settings.stackPrefix}`,
      description: "The fleet, the runs, the webhook, the dead-letter queues and the alarms on one page",
    });
    new CfnOutput(this, "HealthCheckQueueUrl", { value: this.healthCheckQueue.queueUrl });
  }
}

/**
 * The identity side of the session key's use, from the same table as its key policy (`SESSION_KEY_USE`), and the
 * context key's secret to the same functions only (nobody else seals or opens a session).
 */
function grantSessionKey(stateful: StatefulStack, name: FunctionName, fn: SessionKeeperFunction): void {
  const { role } = fn;
  if (SESSION_KEY_USE.store.includes(name)) stateful.sessionKey.grantStoreSessions(role);
  if (SESSION_KEY_USE.open.includes(name)) stateful.sessionKey.grantOpenSessions(role);
  if (SESSION_KEY_USE.store.includes(name) || SESSION_KEY_USE.open.includes(name)) {
    stateful.contextKeySecret.grantRead(role);
    fn.function.addEnvironment("CONTEXT_KEY_SECRET_ARN", stateful.contextKeySecret.secretArn);
  }
}

function retentionDays(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === "number");
  if (!allowed.includes(days))
    throw new Error(`Context logRetentionDays is ${days}: CloudWatch accepts one of ${allowed.join(", ")}.`);
  return days as RetentionDays;
}
