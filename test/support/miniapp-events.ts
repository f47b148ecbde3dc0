/** API Gateway HTTP API (payload 2.0) events for the Mini App's routes, as AWS builds them. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { apiGatewayEvent } from "./events";

export function miniAppEvent(method: "GET" | "POST", path: string, body?: unknown): APIGatewayProxyEventV2 {
  const base = apiGatewayEvent(undefined, null);
  return {
    ...base,
    routeKey: `${method} ${path}`,
    rawPath: path,
    headers: { "content-type": "application/json" },
    requestContext: {
      ...base.requestContext,
      routeKey: `${method} ${path}`,
      http: { ...base.requestContext.http, method, path },
    },
    ...(body === undefined
      ? { body: undefined }
      : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  } as APIGatewayProxyEventV2;
}
