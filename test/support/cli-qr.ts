/**
 * Reads a QR code as drawn in a terminal by `qrcode`'s small terminal renderer (`sessions add --qr`), the way the
 * account owner's phone reads the screen: the half blocks turned back into modules, the modules into an image,
 * the image decoded by a real QR reader (jsQR).
 */
import jsQR from "jsqr";

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const DRAWING = /^[ ▀▄█]+$/;

/**
 * The first QR drawing on `screen` at or after `from`: each character is two modules, the top and the bottom half
 * (█ both dark, ▀ the top, ▄ the bottom), with a one-module light border around the code.
 */
export function decodeTerminalQr(screen: string, from = 0): string {
  const lines = screen.slice(from).replace(ANSI, "").split("\n");
  const start = lines.findIndex((l) => l.length > 20 && DRAWING.test(l));
  if (start < 0) throw new Error("No QR drawing on the screen.");
  const width = lines[start]!.length;
  let end = start;
  while (end < lines.length && lines[end]!.length === width && DRAWING.test(lines[end]!)) end += 1;
  const rows = lines.slice(start, end);
  // `width` characters cover the modules -1 … size: a border column each side.
  const size = width - 2;
  // Row r holds the module rows 2r-1 and 2r, from the border row -1 to the border row size: (size+3)/2 rows.
  if (rows.length !== (size + 3) / 2)
    throw new Error(`A QR drawing of ${rows.length} rows for ${size} modules:\n${lines.join("\n")}`);
  const dark = (x: number, y: number): boolean => {
    const c = rows[(y + 1) >> 1]![x + 1]!;
    return (y + 1) % 2 === 0 ? c === "█" || c === "▀" : c === "█" || c === "▄";
  };
  const scale = 6;
  const quiet = 4;
  const side = (size + 2 * quiet) * scale;
  const pixels = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      if (!dark(x, y)) continue;
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++) {
          const i = (((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
    }
  const code = jsQR(pixels, side, side);
  if (!code) throw new Error(`The ${size}×${size} QR drawing could not be read.`);
  return code.data;
}
