/** Secrets registered for masking stay masked as long as anyone still holds them. */
import { describe, expect, it } from "vitest";
import { forgetSecret, redactText, registerSecret } from "../../lib/log";

describe("registered secrets", () => {
  it("a password registered by the form and again by the login step stays masked until both forget it", () => {
    const password = "correct horse battery";
    registerSecret(password);
    registerSecret(password);
    forgetSecret(password);
    expect(redactText(`step failed for ${password}`)).not.toContain(password);
    forgetSecret(password);
    expect(redactText(`after the step: ${password}`)).toContain(password);
  });
});
