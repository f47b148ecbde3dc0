/**
 * The deployed stack's parts the CLI reaches beyond the tables: the health check's dispatcher (`sessions check --all
 * --deployed` starts it), the dead-letter queues and alarms (`sessions status`), the schedules (`sessions doctor`).
 * Their names come from the stack outputs `npm run deploy` wrote (lib/deployment.ts), as `npm run webhook:set` finds
 * the webhook. Each AWS call sits behind a small port, so the commands are tested with fakes of the ports and never
 * reach AWS from a test; the AWS SDK clients are loaded only when a port is used.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Env } from "../config";
import {
  DEAD_LETTER_QUEUE_OUTPUTS,
  OUTPUTS_FILE,
  readStackOutputs,
  SCHEDULE_OUTPUTS,
  SERVICE_OUTPUTS,
  type StackOutputs,
} from "../deployment";
import { CliError } from "./command";

/** The checkout's root (the CLI runs from it: bin/sessions.js), where `npm run deploy` writes the outputs. */
const PROJECT_ROOT = resolve(__dirname, "../..");

export function stackOutputs(env: Env): StackOutputs {
  return readStackOutputs(
    env,
    (file) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    },
    resolve(PROJECT_ROOT, OUTPUTS_FILE),
  );
}

/** "Cannot find …: run npm run deploy …": what to do when an output is missing. */
function missingOutput(what: string, output: string, outputs: StackOutputs): string {
  return (
    `Cannot find ${what}: ${outputs.found ? `${outputs.file} has no ${output}` : `${outputs.file} does not exist`}. ` +
    "Deploy from this checkout (npm run deploy writes the stack outputs there), or set CDK_OUTPUTS_FILE to the " +
    "outputs file of the deployment."
  );
}

/** An AWS error's name, as the SDK sets it (two SDK builds may meet, so never `instanceof`). */
const awsName = (err: unknown) => (err instanceof Error ? err.name : "");

/** What the operator's role lacks, and what to do about it. */
function accessDenied(action: string, resource: string): CliError {
  return new CliError(
    `AWS denied ${action} on ${resource}. Run the CLI as the deployment's operator role (README: The operator ` +
      "role), e.g. AWS_PROFILE=session-keeper-operator; if you do, deploy the stacks again (npm run deploy): the " +
      "operator role gets this permission with the service stack.",
  );
}

// --- The dispatcher ------------------------------------------------------------------------------------------

/** Starts the deployed health check's dispatcher for a run, asynchronously: it returns once AWS accepted it. */
export interface DispatcherPort {
  readonly functionName: string;
  invokeDispatcher(runId: string): Promise<void>;
}

export function dispatcherName(env: Env): string {
  const outputs = stackOutputs(env);
  const name = env.HEALTH_CHECK_DISPATCHER ?? outputs.outputs[SERVICE_OUTPUTS.dispatcher];
  if (!name)
    throw new CliError(
      missingOutput("the health check's dispatcher function", SERVICE_OUTPUTS.dispatcher, outputs),
    );
  return name;
}

export function lambdaDispatcher(functionName: string, region: string | undefined): DispatcherPort {
  return {
    functionName,
    async invokeDispatcher(runId) {
      const { LambdaClient, InvokeCommand } = await import("@aws-sdk/client-lambda");
      const client = new LambdaClient(region ? { region } : {});
      try {
        const out = await client.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: "Event",
            Payload: new TextEncoder().encode(JSON.stringify({ runId })),
          }),
        );
        if (out.StatusCode !== 202)
          throw new CliError(`AWS did not accept the start of ${functionName} (status ${out.StatusCode}).`);
      } catch (err) {
        if (awsName(err) === "ResourceNotFoundException")
          throw new CliError(
            `The function ${functionName} does not exist${region ? ` in ${region}` : ""}: the service stack is not ` +
              "deployed there, or the outputs are of another deployment. Deploy it (npm run deploy), or check " +
              "AWS_REGION and CDK_OUTPUTS_FILE.",
          );
        if (awsName(err) === "AccessDeniedException" || awsName(err) === "AccessDenied")
          throw accessDenied("lambda:InvokeFunction", functionName);
        throw err;
      } finally {
        client.destroy();
      }
    },
  };
}

export { DEAD_LETTER_QUEUE_OUTPUTS, SCHEDULE_OUTPUTS, SERVICE_OUTPUTS, accessDenied, awsName, missingOutput };

// --- The dead-letter queues and the alarms (`sessions status`) ---------------------------------------------------

/** How many messages wait in a queue (SQS ApproximateNumberOfMessages). */
export interface QueueDepthPort {
  depth(queueUrl: string): Promise<number>;
}

export interface AlarmFiring {
  readonly name: string;
  /** CloudWatch's StateReason. */
  readonly reason: string;
  /** When it went into ALARM (ISO). */
  readonly since: string | null;
}

/** Which of the named alarms are in ALARM now (CloudWatch DescribeAlarms). */
export interface AlarmPort {
  inAlarm(names: readonly string[]): Promise<AlarmFiring[]>;
}

export interface StackHealth {
  readonly deadLetterQueues: readonly {
    readonly name: string;
    readonly depth: number | null;
    readonly error: string | null;
  }[];
  readonly alarms: {
    /** How many alarms the stack has (from its outputs). */
    readonly watched: number;
    readonly inAlarm: readonly AlarmFiring[];
    readonly error: string | null;
  };
}

/** An AWS failure as one line for a status row, with what to do for the usual ones. */
function problem(err: unknown, action: string, resource: string): string {
  if (err instanceof CliError) return err.message;
  const name = awsName(err);
  if (name === "AccessDeniedException" || name === "AccessDenied" || name === "AuthorizationError")
    return accessDenied(action, resource).message;
  if (name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue")
    return `the queue ${resource} does not exist: deploy the service stack (npm run deploy), or check CDK_OUTPUTS_FILE.`;
  return `${action} failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** The depth of each dead-letter queue and the stack's alarms in ALARM; a part that cannot be read says why. */
export async function stackHealth(
  outputs: StackOutputs,
  ports: { readonly queues: QueueDepthPort; readonly alarms: AlarmPort },
): Promise<StackHealth> {
  const deadLetterQueues = await Promise.all(
    Object.entries(DEAD_LETTER_QUEUE_OUTPUTS).map(async ([name, output]) => {
      const url = outputs.outputs[output];
      if (!url)
        return { name, depth: null, error: missingOutput(`the ${name} dead-letter queue`, output, outputs) };
      try {
        return { name, depth: await ports.queues.depth(url), error: null };
      } catch (err) {
        return { name, depth: null, error: problem(err, "sqs:GetQueueAttributes", url) };
      }
    }),
  );
  const names = (outputs.outputs[SERVICE_OUTPUTS.alarmNames] ?? "").split(",").filter(Boolean);
  let alarms: StackHealth["alarms"];
  if (names.length === 0)
    alarms = {
      watched: 0,
      inAlarm: [],
      error: missingOutput("the stack's alarms", SERVICE_OUTPUTS.alarmNames, outputs),
    };
  else
    try {
      alarms = { watched: names.length, inAlarm: await ports.alarms.inAlarm(names), error: null };
    } catch (err) {
      alarms = {
        watched: names.length,
        inAlarm: [],
        error: problem(err, "cloudwatch:DescribeAlarms", "the stack's alarms"),
      };
    }
  return { deadLetterQueues, alarms };
}

export function sqsQueueDepths(region: string | undefined): QueueDepthPort {
  return {
    async depth(queueUrl) {
      const { SQSClient, GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
      const client = new SQSClient(region ? { region } : {});
      try {
        const out = await client.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ["ApproximateNumberOfMessages"],
          }),
        );
        return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
      } finally {
        client.destroy();
      }
    },
  };
}

export function cloudWatchAlarms(region: string | undefined): AlarmPort {
  return {
    async inAlarm(names) {
      const { CloudWatchClient, DescribeAlarmsCommand } = await import("@aws-sdk/client-cloudwatch");
      const client = new CloudWatchClient(region ? { region } : {});
      try {
        const firing: AlarmFiring[] = [];
        // DescribeAlarms takes at most 100 names at a time.
        for (let i = 0; i < names.length; i += 100) {
          let token: string | undefined;
          do {
            const out = await client.send(
              new DescribeAlarmsCommand({
                AlarmNames: names.slice(i, i + 100),
                StateValue: "ALARM",
                AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
                NextToken: token,
              }),
            );
            for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])])
              firing.push({
                name: a.AlarmName ?? "?",
                reason: a.StateReason ?? "",
                since: a.StateUpdatedTimestamp ? a.StateUpdatedTimestamp.toISOString() : null,
              });
            token = out.NextToken;
          } while (token);
        }
        return firing;
      } finally {
        client.destroy();
      }
    },
  };
}

// --- The webhook's URL and the schedules (`sessions doctor`) -----------------------------------------------------

/** This stack's webhook URL without its secret segment (`…/webhook`): WEBHOOK_URL, or the stack output. */
export function stackWebhookUrl(env: Env): { url?: string; missing?: string } {
  if (env.WEBHOOK_URL) return { url: env.WEBHOOK_URL };
  const outputs = stackOutputs(env);
  const url = outputs.outputs[SERVICE_OUTPUTS.webhookUrl];
  return url
    ? { url }
    : { missing: missingOutput("this stack's webhook URL", SERVICE_OUTPUTS.webhookUrl, outputs) };
}

/** An EventBridge Scheduler schedule's state (GetSchedule). */
export interface SchedulePort {
  state(name: string): Promise<string>;
}

export interface ScheduleState {
  readonly job: string;
  readonly name: string | null;
  readonly state: string | null;
  readonly error: string | null;
}

/** Each job's schedule and whether it is enabled; a schedule that cannot be read says why. */
export async function scheduleStates(outputs: StackOutputs, port: SchedulePort): Promise<ScheduleState[]> {
  return Promise.all(
    Object.entries(SCHEDULE_OUTPUTS).map(async ([job, output]) => {
      const name = outputs.outputs[output];
      if (!name)
        return { job, name: null, state: null, error: missingOutput(`the ${job} schedule`, output, outputs) };
      try {
        return { job, name, state: await port.state(name), error: null };
      } catch (err) {
        return {
          job,
          name,
          state: null,
          error:
            awsName(err) === "ResourceNotFoundException"
              ? `the schedule ${name} does not exist: deploy the service stack (npm run deploy), or check CDK_OUTPUTS_FILE.`
              : problem(err, "scheduler:GetSchedule", name),
        };
      }
    }),
  );
}

export function eventBridgeSchedules(region: string | undefined): SchedulePort {
  return {
    async state(name) {
      const { SchedulerClient, GetScheduleCommand } = await import("@aws-sdk/client-scheduler");
      const client = new SchedulerClient(region ? { region } : {});
      try {
        return (await client.send(new GetScheduleCommand({ Name: name }))).State ?? "unknown";
      } finally {
        client.destroy();
      }
    },
  };
}
