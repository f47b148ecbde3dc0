/**
 * Telegram's Bot API answered on loopback: a tiny HTTP server that answers `POST /bot<token>/<method>` as Telegram
 * would (messages get ids, edits and button answers succeed). The bundles reach it through `TELEGRAM_API_ROOT`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface BotApiServer {
  readonly apiRoot: string;
  /** Calls answered, by method. */
  readonly calls: Map<string, number>;
  /** Every multipart call (a photo upload), with its raw body, in order. */
  readonly uploads: { method: string; contentType: string; body: Buffer }[];
  stop(): Promise<void>;
}

export async function startBotApiServer(botInfo: object): Promise<BotApiServer> {
  const calls = new Map<string, number>();
  const uploads: BotApiServer["uploads"] = [];
  let messageId = 1000;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const method = (req.url ?? "").split("/").pop() ?? "";
      calls.set(method, (calls.get(method) ?? 0) + 1);
      const contentType = req.headers["content-type"] ?? "";
      if (contentType.startsWith("multipart/"))
        uploads.push({ method, contentType, body: Buffer.concat(chunks) });
      let payload: Record<string, unknown> = {};
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        // multipart or empty: answered all the same
      }
      const chat = { id: Number(payload.chat_id ?? 0), type: "private", first_name: "Admin" };
      const message = (id: number) => ({
        message_id: id,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: botInfo,
        text: payload.text,
      });
      const result =
        method === "getMe"
          ? botInfo
          : method === "sendMessage"
            ? message(messageId++)
            : method === "editMessageText"
              ? message(Number(payload.message_id ?? 1))
              : true;
      const body = JSON.stringify({ ok: true, result });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,
    uploads,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
