/**
 * The API Gateway HTTP API (payload 2.0) event that carries a Telegram update to the webhook Lambda, as AWS builds
 * it. Shared by the tests and the benchmark, which drive the real handler the same way.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";

export function apiGatewayEvent(update: unknown, secret: string | null): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /webhook",
    rawPath: "/webhook",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      ...(secret !== null ? { "x-telegram-bot-api-secret-token": secret } : {}),
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: {
        method: "POST",
        path: "/webhook",
        protocol: "HTTP/1.1",
        sourceIp: "149.154.167.200",
        userAgent: "",
      },
      requestId: "req",
      routeKey: "POST /webhook",
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
    body: JSON.stringify(update),
    isBase64Encoded: false,
  };
}
