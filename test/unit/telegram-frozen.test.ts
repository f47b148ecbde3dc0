import { Api } from "telegram";
import { describe, expect, it } from "vitest";
import { freezeFromAppConfig, type FreezeReading } from "../../lib/telegram/account-state";

const num = (value: number) => new Api.JsonNumber({ value });
const str = (value: string) => new Api.JsonString({ value });
const config = (entries: Record<string, Api.TypeJSONValue>) =>
  new Api.JsonObject({
    value: Object.entries(entries).map(([key, value]) => new Api.JsonObjectValue({ key, value })),
  });

const ROWS: readonly (readonly [what: string, config: Api.TypeJSONValue, reading: FreezeReading])[] = [
  [
    "no freeze keys",
    config({ test: num(1), dialog_filters_enabled: new Api.JsonBool({ value: true }) }),
    { state: "not-frozen" },
  ],
  [
    "all three keys",
    config({
      freeze_since_date: num(1_793_491_200),
      freeze_until_date: num(1_801_267_200),
      freeze_appeal_url: str("https://t.me/spambot"),
    }),
    {
      state: "frozen",
      freeze: {
        since: "2026-11-01T00:00:00.000Z",
        until: "2027-01-30T00:00:00.000Z",
        appealUrl: "https://t.me/spambot",
      },
    },
  ],
  [
    "only the until date",
    config({ freeze_until_date: num(1_801_267_200) }),
    { state: "frozen", freeze: { until: "2027-01-30T00:00:00.000Z" } },
  ],
  [
    "only the appeal URL",
    config({ freeze_appeal_url: str("https://t.me/spambot") }),
    { state: "frozen", freeze: { appealUrl: "https://t.me/spambot" } },
  ],
  [
    "a date of the wrong type is ignored",
    config({ freeze_until_date: str("soon") }),
    { state: "not-frozen" },
  ],
  [
    "a zero date is no date",
    config({ freeze_until_date: num(0), freeze_since_date: num(0) }),
    { state: "not-frozen" },
  ],
  ["not an object at all", new Api.JsonNull(), { state: "not-frozen" }],
];

describe("reading a freeze from help.getAppConfig", () => {
  it.each(ROWS)("%s", (_what, appConfig, reading) => {
    expect(freezeFromAppConfig(appConfig)).toEqual(reading);
  });
});
