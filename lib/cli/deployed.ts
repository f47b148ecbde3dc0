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

/** "… is not known: run npm run deploy …": what to do when an output is missing. */
function missingOutput(what: string, output: string, outputs: StackOutputs): string {
  return (
    `${what} is not known: ${outputs.found ? `${outputs.file} has no ${output}` : `${outputs.file} does not exist`}. ` +
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
      missingOutput("The health check's dispatcher function", SERVICE_OUTPUTS.dispatcher, outputs),
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
