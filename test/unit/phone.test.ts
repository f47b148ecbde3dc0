import { describe, expect, it } from "vitest";
import { InvalidPhoneError, normalizePhone } from "../../lib/sessions";

describe("phone numbers are normalised once to E.164", () => {
  it.each([
    ["+998 90 123 45 67", "+998901234567"],
    ["998901234567", "+998901234567"],
    ["+998-90-123-45-67", "+998901234567"],
    ["00998901234567", "+998901234567"],
    ["(+998) 90.123.45.67", "+998901234567"],
    ["+7 999 123-45-67", "+79991234567"],
    ["+1 202 555 0143", "+12025550143"],
    ["+9996612345", "+9996612345"],
    // Fragment's anonymous numbers (+888), as Fragment shows them.
    ["+888 0456 7890", "+88804567890"],
    ["+888 8123 4567", "+88881234567"],
    [" +998901234567\n", "+998901234567"],
  ])("%s → %s", (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    "",
    "   ",
    "abc",
    "+99890",
    "90 123 45 67",
    "+998 90 123 45 67 89 01",
    "+9981234567890123",
    "+888 0456 789",
    "+888 0456 78901",
    "1234;DROP",
  ])("refuses %j with a message that shows the expected form", (input) => {
    expect(() => normalizePhone(input)).toThrow(InvalidPhoneError);
    expect(() => normalizePhone(input)).toThrow(/with the country code, for example \+998901234567/);
  });
});
