/**
 * A real SOCKS5 server (the npm package @pondwader/socks5-server, not our own) on 127.0.0.1, in front of the loopback
 * DC: GramJS's own SOCKS client talks to it, it checks the user name and password, and it dials the destination the
 * client asked for. Our listener hands it each TCP connection, so a test knows the port, counts what went through,
 * and can take the proxy down (refusing new connections and cutting open ones).
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createSocksServer } from "@pondwader/socks5-server";

export interface TestSocksProxy {
  readonly host: string;
  readonly port: number;
  /** Connections that passed authentication, with where they asked to go. */
  readonly tunnels: readonly { readonly destination: string }[];
  /** Connections refused for a wrong user name or password. */
  readonly refusedLogins: () => number;
  /** Stops listening and cuts every open connection: the proxy is down. */
  stop(): Promise<void>;
}

export async function startSocksProxy(auth: {
  readonly username: string;
  readonly password: string;
}): Promise<TestSocksProxy> {
  const socks = createSocksServer();
  let refused = 0;
  const tunnels: { destination: string }[] = [];
  socks.setAuthHandler((conn) => {
    const ok = conn.username === auth.username && conn.password === auth.password;
    if (!ok) refused += 1;
    return ok;
  });
  socks.setRulesetValidator((conn) => {
    tunnels.push({ destination: `${conn.destAddress}:${conn.destPort}` });
    return true;
  });
  const open = new Set<Socket>();
  const listener: Server = createServer((socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    socks._handleConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(0, "127.0.0.1", resolve);
  });
  const address = listener.address();
  if (!address || typeof address === "string") throw new Error("the SOCKS5 proxy has no port");
  let stopped = false;
  return {
    host: "127.0.0.1",
    port: address.port,
    tunnels,
    refusedLogins: () => refused,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
