/**
 * What every connection told the loopback DC about itself: the `initConnection` GramJS wraps around its first request
 * on each connection (inside `invokeWithLayer`), with the API id and the device parameters a key presents. Tests read
 * it to prove a session presents one identity on every connection, whatever host the job ran on.
 */
import { Api } from "telegram";

export interface InitConnectionRecord {
  /** The account the key was logged in as when it sent this (absent for a key not logged in yet). */
  readonly phone?: string;
  /** The auth key id (hex) the connection used. */
  readonly authKeyId: string;
  readonly apiId: number;
  readonly deviceModel: string;
  readonly systemVersion: string;
  readonly appVersion: string;
  readonly langCode: string;
  readonly systemLangCode: string;
  /** What the client says of the MTProxy it came through (`InputClientProxy`), if any. */
  readonly proxy?: { readonly address: string; readonly port: number };
}

/** The `initConnection` inside `request`'s wrappers, if any. */
export function findInitConnection(request: unknown): Api.InitConnection | undefined {
  let current = request;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (current instanceof Api.InitConnection) return current;
    current = (current as { query?: unknown }).query;
  }
  return undefined;
}

export class InitConnectionLog {
  private readonly records: InitConnectionRecord[] = [];

  record(init: Api.InitConnection, authKeyId: string, phone: string | undefined): void {
    this.records.push({
      ...(phone !== undefined ? { phone } : {}),
      authKeyId,
      apiId: init.apiId,
      deviceModel: init.deviceModel,
      systemVersion: init.systemVersion,
      appVersion: init.appVersion,
      langCode: init.langCode,
      systemLangCode: init.systemLangCode,
      ...(init.proxy ? { proxy: { address: init.proxy.address, port: init.proxy.port } } : {}),
    });
  }

  /** Every record, oldest first; only those of `phone` (digits compared) when given. */
  list(phone?: string): readonly InitConnectionRecord[] {
    if (phone === undefined) return [...this.records];
    const digits = phone.replace(/\D/g, "");
    return this.records.filter((r) => r.phone === digits);
  }
}
