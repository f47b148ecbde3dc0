/**
 * A whole login against the loopback DC, from an empty StringSession as in production: a new auth key by DH, the
 * code "Telegram sent", 2FA with a real SRP proof (GramJS's computeCheck), and the resulting session string working
 * in a fresh client. The steps run in separate clients, as the stateless login in separate Lambda invocations does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Api } from "telegram";
import { RPCError } from "telegram/errors";
import { computeCheck } from "telegram/Password";
import { StringSession } from "telegram/sessions";
import { ClientPool } from "../support/mtproto/clients";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let dc: LoopbackDc;
let clients: ClientPool;

beforeAll(async () => {
  dc = await startLoopbackDc();
  clients = new ClientPool(dc);
});
afterEach(async () => {
  await clients.destroyAll();
  dc.clearScripts();
});
afterAll(async () => {
  await dc?.stop();
});

const API_ID = 1;
const API_HASH = "loopback-api-hash";

function sendCode(phoneNumber: string): Api.auth.SendCode {
  return new Api.auth.SendCode({
    phoneNumber,
    apiId: API_ID,
    apiHash: API_HASH,
    settings: new Api.CodeSettings({}),
  });
}

describe("login with 2FA", () => {
  it("runs sendCode → signIn (SESSION_PASSWORD_NEEDED) → a wrong then the right password, each step in its own client", async () => {
    const phone = "+998901110001";
    dc.addAccount({
      phone,
      userId: 9001,
      firstName: "Dilnoza",
      username: "dilnoza",
      password: "correct horse",
    });

    // Step 1: a new key from nothing, and the code.
    const session1 = new StringSession("");
    const client1 = await clients.connected("", session1);
    const sent = await client1.invoke(sendCode(phone));
    expect(sent).toBeInstanceOf(Api.auth.SentCode);
    const { phoneCodeHash } = sent as Api.auth.SentCode;
    const temporary = session1.save();
    await client1.destroy();
    const [code] = dc.sentCodes(phone);
    expect(code).toMatch(/^\d{5}$/);

    // Step 2: the code, in a second client on the temporary session.
    const client2 = await clients.connected(temporary);
    const signIn = await client2
      .invoke(new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode: code }))
      .catch((err: unknown) => err);
    expect(signIn).toBeInstanceOf(RPCError);
    expect(signIn).toMatchObject({ code: 401, errorMessage: "SESSION_PASSWORD_NEEDED" });
    await client2.destroy();

    // Step 3: the password, in a third client: first wrong, then right.
    const client3 = await clients.connected(temporary);
    const wrong = await client3.invoke(new Api.account.GetPassword());
    expect(wrong.hasPassword).toBe(true);
    await expect(
      client3.invoke(new Api.auth.CheckPassword({ password: await computeCheck(wrong, "battery staple") })),
    ).rejects.toMatchObject({ code: 400, errorMessage: "PASSWORD_HASH_INVALID" });

    const right = await client3.invoke(new Api.account.GetPassword());
    const authorization = await client3.invoke(
      new Api.auth.CheckPassword({ password: await computeCheck(right, "correct horse") }),
    );
    expect(authorization).toBeInstanceOf(Api.auth.Authorization);
    await client3.destroy();

    // The session string now works anywhere.
    const fresh = await clients.connected(temporary);
    const me = await fresh.getMe();
    expect(me.id.toString()).toBe("9001");
    expect(me.username).toBe("dilnoza");
  });

  it("does not accept a proof computed for an older challenge (SRP_ID_INVALID)", async () => {
    const phone = "+998901110002";
    dc.addAccount({ phone, userId: 9002, firstName: "Jasur", password: "pw", code: "24680" });
    const client = await clients.connected("");
    const { phoneCodeHash } = (await client.invoke(sendCode(phone))) as Api.auth.SentCode;
    await expect(
      client.invoke(new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode: "24680" })),
    ).rejects.toMatchObject({ errorMessage: "SESSION_PASSWORD_NEEDED" });

    const stale = await client.invoke(new Api.account.GetPassword());
    await client.invoke(new Api.account.GetPassword());

    await expect(
      client.invoke(new Api.auth.CheckPassword({ password: await computeCheck(stale, "pw") })),
    ).rejects.toMatchObject({ code: 400, errorMessage: "SRP_ID_INVALID" });
  });
});

describe("login without 2FA", () => {
  it("signs in with the code alone and rejects a wrong code first", async () => {
    const phone = "+998901110003";
    dc.addAccount({ phone, userId: 9003, firstName: "Malika", code: "13579" });
    const session = new StringSession("");
    const client = await clients.connected("", session);
    const { phoneCodeHash } = (await client.invoke(sendCode(phone))) as Api.auth.SentCode;

    await expect(
      client.invoke(new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode: "11111" })),
    ).rejects.toMatchObject({ code: 400, errorMessage: "PHONE_CODE_INVALID" });
    const authorization = await client.invoke(
      new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode: "13579" }),
    );

    expect(authorization).toBeInstanceOf(Api.auth.Authorization);
    expect(dc.keyState(session.save()).loggedInAs).toBe(9003n);
    expect((await client.getMe()).firstName).toBe("Malika");
  });

  it("refuses a code after a newer one was sent (PHONE_CODE_EXPIRED) and a number it does not know", async () => {
    const phone = "+998901110004";
    dc.addAccount({ phone, userId: 9004, firstName: "Otabek" });
    const client = await clients.connected("");
    const first = (await client.invoke(sendCode(phone))) as Api.auth.SentCode;
    await client.invoke(sendCode(phone));
    const [oldCode] = dc.sentCodes(phone);

    await expect(
      client.invoke(
        new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash: first.phoneCodeHash, phoneCode: oldCode }),
      ),
    ).rejects.toMatchObject({ code: 400, errorMessage: "PHONE_CODE_EXPIRED" });
    await expect(client.invoke(sendCode("+998900000000"))).rejects.toMatchObject({
      code: 400,
      errorMessage: "PHONE_NUMBER_INVALID",
    });
  });
});
