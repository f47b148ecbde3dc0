/**
 * The menu's fleet line never shows a count below zero. Keys replaced and restrictions read before the fleet counter
 * counted them are not in it until `sessions counts --repair` runs once (the README's upgrade step); until then one
 * of them settling takes its count below zero, and the line leaves that part out rather than say "-1".
 */
import { describe, expect, it } from "vitest";
import { LOCALES } from "../../lib/bot/locales";

const counts = { active: 3, paused: 1, error: 0, deleted: 0 };

describe("the menu's fleet line", () => {
  for (const [language, t] of Object.entries(LOCALES)) {
    it(`${language}: pending logouts and limited sessions below zero are left out, above zero shown`, () => {
      const drifted = t.menu.summary({ ...counts, pendingRevocations: -1, restricted: -2 });
      expect(drifted).not.toMatch(/-\d/);
      expect(drifted).not.toContain("⏳");
      expect(drifted).not.toContain("🚫");
      const shown = t.menu.summary({ ...counts, pendingRevocations: 2, restricted: 1 });
      expect(shown).toContain("⏳");
      expect(shown).toContain("🚫");
    });
  }
});
