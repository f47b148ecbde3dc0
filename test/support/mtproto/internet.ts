/**
 * The Internet as a session's connection sees it, for tests of where the userbot layer dials: a client whose session
 * names Telegram's own address for its DC id reaches the loopback DC of that id; a client whose session names any
 * other address dials exactly that address (port 80, as GramJS does). So a test can listen at a hostile address and
 * see whether anything ever connects there, which `LoopbackDc.createClient` (it re-points every session) cannot show.
 */
import { Logger, LogLevel } from "telegram/extensions/Logger";
import { TelegramClient } from "telegram";
import { PRODUCTION_DC_IPV4 } from "../../../lib/telegram/connection";
import type { CreateClient } from "../../../lib/telegram/client";
import type { LoopbackDc } from "./loopback-dc";

export function telegramInternet(dcs: readonly LoopbackDc[]): CreateClient {
  return (session, apiId, apiHash, params) => {
    const dc = dcs.find((d) => d.dcId === session.dcId);
    if (dc && session.serverAddress === PRODUCTION_DC_IPV4[session.dcId]) {
      return dc.createClient(session, apiId, apiHash, params);
    }
    return new TelegramClient(session, apiId, apiHash, {
      baseLogger: new Logger(LogLevel.NONE),
      ...params,
      useWSS: false,
    });
  };
}
