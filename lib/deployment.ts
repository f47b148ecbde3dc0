/**
 * The stack outputs an operator's tools read: `npm run deploy` writes them to cdk-outputs.json (one object per stack,
 * `<prefix>-Stateful` and `<prefix>-Service`); `npm run webhook:set` and the deployed `sessions` CLI (check
 * --deployed, status, doctor) find the service stack's parts there. The output names are the contract between
 * infra/service-stack.ts, which writes them, and their readers.
 */
export const OUTPUTS_FILE = "cdk-outputs.json";

/** The webhook's fixed part; the route is `POST ${WEBHOOK_ROUTE}/<segment>` (infra/webhook-path.ts). */
export const WEBHOOK_ROUTE = "/webhook";

/**
 * A webhook URL fit for a terminal or a log: the secret last segment shortened to its first 4 characters, enough to
 * tell two values apart, far too little to call the route.
 */
export function maskWebhookUrl(url: string): string {
  return url.replace(new RegExp(`(${WEBHOOK_ROUTE}/)([A-Za-z0-9]{4})[A-Za-z0-9]*`), "$1$2…");
}

export const SERVICE_OUTPUTS = {
  /** The health check's dispatcher function, started by `sessions check --all --deployed`. */
  dispatcher: "HealthCheckDispatcherName",
  /** Every alarm of the service stack, names joined by commas (`sessions status` shows those in ALARM). */
  alarmNames: "AlarmNames",
  webhookUrl: "WebhookUrl",
} as const;

/** Each dead-letter queue's URL, by what it holds (as the dashboard names them). */
export const DEAD_LETTER_QUEUE_OUTPUTS = {
  "health checks": "HealthCheckDeadLettersUrl",
  "health check schedule": "HealthCheckScheduleDeadLettersUrl",
  "cleanup schedule": "CleanupScheduleDeadLettersUrl",
} as const;

/** Each EventBridge Scheduler schedule's name (in the default group), by its job. */
export const SCHEDULE_OUTPUTS = {
  "health check": "HealthCheckScheduleName",
  cleanup: "CleanupScheduleName",
} as const;

export interface StackOutputs {
  /** Both stacks' outputs merged (the service stack's last); empty when the file is missing. */
  readonly outputs: Readonly<Record<string, string>>;
  /** The file they were read from, to name in an error. */
  readonly file: string;
  /** False when the file does not exist (the stack was not deployed from this checkout). */
  readonly found: boolean;
}

export class StackOutputsError extends Error {
  override readonly name = "StackOutputsError";
}

/**
 * Reads the outputs file: `CDK_OUTPUTS_FILE`, or `defaultFile`; the stacks named by `STACK_PREFIX` (default
 * SessionKeeper). A file that is not JSON is an error; a missing one is reported as not found.
 */
export function readStackOutputs(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (file: string) => string | undefined,
  defaultFile: string,
): StackOutputs {
  const file = env.CDK_OUTPUTS_FILE ?? defaultFile;
  const raw = readFile(file);
  if (raw === undefined) return { outputs: {}, file, found: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new StackOutputsError(`${file} is not JSON: run npm run deploy again to rewrite it.`);
  }
  const prefix = env.STACK_PREFIX ?? "SessionKeeper";
  const stacks = (parsed ?? {}) as Record<string, Record<string, string> | undefined>;
  return { outputs: { ...stacks[`${prefix}-Stateful`], ...stacks[`${prefix}-Service`] }, file, found: true };
}
