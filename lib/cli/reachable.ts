/**
 * Whether the local DynamoDB answers, asked before the store is built (lib/cli/context.ts) so an operator who forgot
 * `npm run dev` gets one line at once instead of the SDK's retries. Its own module: the context needs it and the
 * error wording (errors.ts) names its error, and errors.ts is imported by command.ts, which names the context.
 */
import { connect } from "node:net";

/** The local DynamoDB did not answer. Said before any request so the operator is not left waiting on retries. */
export class StoreUnreachableError extends Error {
  constructor(readonly endpoint: string) {
    super(
      `DynamoDB Local is not running at ${endpoint}: start it with \`npm run dev\`, ` +
        "or set DYNAMODB_ENDPOINT to where it runs (or SESSIONS_TABLE/BOT_STATE_TABLE/KMS_KEY_ID for a deployed stack).",
    );
    this.name = "StoreUnreachableError";
  }
}

/** A TCP connect to the endpoint, within `timeoutMs`: far quicker and clearer than the SDK's retries. */
export function assertEndpointReachable(endpoint: string, timeoutMs = 2000): Promise<void> {
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = () => {
      socket.destroy();
      reject(new StoreUnreachableError(endpoint));
    };
    socket.setTimeout(timeoutMs, fail);
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.end();
      resolve();
    });
  });
}
