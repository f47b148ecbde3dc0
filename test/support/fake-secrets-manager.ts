/**
 * Secrets Manager's GetSecretValue over HTTP on 127.0.0.1 (the AWS JSON 1.1 protocol the SDK speaks), for tests of
 * code that reads secrets through Powertools Parameters and the real AWS SDK client. Point the SDK at it with
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` (and any access key: nothing is checked). Every read is counted per secret.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** The current value of each secret, by ARN; change one to rotate it. */
  readonly values: Map<string, string>;
  /** GetSecretValue calls per ARN. */
  readonly reads: Map<string, number>;
  close(): Promise<void>;
}

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const values = new Map<string, string>();
  const reads = new Map<string, number>();
  let version = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const input = JSON.parse(body || "{}") as { SecretId?: string };
      const id = String(input.SecretId ?? "");
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (target !== "secretsmanager.GetSecretValue" || !values.has(id)) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: "ResourceNotFoundException",
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
        return;
      }
      reads.set(id, (reads.get(id) ?? 0) + 1);
      version++;
      res.end(
        JSON.stringify({
          ARN: id,
          Name: id.split(":").pop(),
          SecretString: values.get(id),
          VersionId: `v${version}`,
          VersionStages: ["AWSCURRENT"],
          CreatedDate: Date.now() / 1000,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    values,
    reads,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
