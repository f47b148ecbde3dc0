/** Escapes text for parse_mode HTML. Everything that came from outside (errors, names, hints) goes through it. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
