/** Reads a QR code image as the account owner's phone would: the bot's uploaded PNG, decoded (jsQR). */
import type { InputFile } from "grammy";
import jsQR from "jsqr";
import { PNG } from "pngjs";

export async function decodeQrPhoto(photo: unknown): Promise<string> {
  const raw = await (photo as InputFile).toRaw();
  if (!(raw instanceof Uint8Array)) throw new Error("The photo was not uploaded as bytes.");
  const png = PNG.sync.read(Buffer.from(raw));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) throw new Error(`No QR code found in the ${png.width}×${png.height} image.`);
  return code.data;
}
