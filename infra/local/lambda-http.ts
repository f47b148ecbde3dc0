/**
 * A Lambda handler behind a plain local HTTP server, as API Gateway's HTTP API (payload 2.0) hands requests to it:
 * `npm run dev --webhook` serves the AdminBot this way, and the Mini App's browser test loads the form from it.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type HttpLambda = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalLambdaServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveLambda(
  handler: HttpLambda,
  options: {
    readonly port?: number;
    /** Which requests reach the handler at all (API Gateway's routes); others get 404. Default: all. */
    readonly routes?: (method: string, path: string) => boolean;
    readonly onError?: (err: unknown) => void;
  } = {},
): Promise<LocalLambdaServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (options.routes && !options.routes(req.method ?? "GET", path)) {
        res.writeHead(404).end();
        return;
      }
      const body = await readBody(req);
      const result = await handler(toApiGatewayEvent(req, body));
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(result.body ?? "");
    })().catch((err: unknown) => {
      options.onError?.(err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => ok(body));
    req.on("error", fail);
  });
}

/** An HTTP request as API Gateway's HTTP API (payload 2.0) hands it to the Lambda. */
export function toApiGatewayEvent(req: IncomingMessage, body: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v);
  const [path = "/", query = ""] = (req.url ?? "/").split("?");
  const method = req.method ?? "GET";
  const now = new Date();
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query,
    headers,
    ...(body ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: "127",
      http: {
        method,
        path,
        protocol: "HTTP/1.1",
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: `local-${now.getTime()}`,
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}
