/**
 * Authenticator enrollment from a picture of the QR code IT shows: PNG or JPEG bytes (a file, the clipboard, the
 * screen) become pixels, the pixels become the code's text, and the text goes through the same otpauth:// checks as a
 * pasted link. Sizes are bounded before anything is decoded in full, and no error here ever carries the decoded text
 * (it holds the secret).
 */
import jpeg from 'jpeg-js';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { OutpostError } from '../errors.js';
import { parseTotpUri, type TotpEnrollment } from './totp.js';

/** Larger than any photo of a QR code needs to be; a screenshot of two 4K screens still fits. */
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
/** 16 megapixels (a 4K screen is 8.3): about 64 MB of RGBA while the code is looked for. */
export const MAX_IMAGE_PIXELS = 16_000_000;

export type QrFailure = 'not-an-image' | 'too-large' | 'no-qr-code' | 'not-a-setup-code';

const SENTENCES: Record<QrFailure, string> = {
  'not-an-image': 'This file is not a PNG or JPEG picture. Save the QR code as a PNG or JPEG and try again.',
  'too-large': 'This picture is too large to read. Crop it to the QR code and try again.',
  'no-qr-code': 'No QR code was found in this picture. Make sure the whole code is visible and sharp.',
  'not-a-setup-code':
    'This QR code is not an authenticator setup code (otpauth://). Use the code IT gave you for two-step verification.',
};

export class QrImageError extends OutpostError {
  readonly reason: QrFailure;

  constructor(reason: QrFailure, detail?: string) {
    super('qr-unreadable', SENTENCES[reason], { detail: detail ?? reason });
    this.name = 'QrImageError';
    this.reason = reason;
  }
}

export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes per pixel, row after row. */
  data: Uint8ClampedArray;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function checkPixels(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) throw new QrImageError('too-large', `${width}x${height} pixels`);
}

/** The size from the IHDR chunk, which a PNG must start with, so a huge image is refused before it is inflated. */
function decodePng(bytes: Uint8Array): RgbaImage {
  if (bytes.length < 24) throw new QrImageError('not-an-image', 'truncated PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(12) !== 0x49484452) throw new QrImageError('not-an-image', 'PNG without IHDR');
  checkPixels(view.getUint32(16), view.getUint32(20));
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    throw new QrImageError('not-an-image', 'damaged PNG');
  }
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data) };
}

function decodeJpeg(bytes: Uint8Array): RgbaImage {
  try {
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      // jpeg-js counts a megapixel as 10^6 pixels
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1_000_000,
      maxMemoryUsageInMB: 256,
    });
    return { width: image.width, height: image.height, data: new Uint8ClampedArray(image.data.buffer) };
  } catch (error) {
    // jpeg-js says "maxResolutionInMP limit exceeded" / "maxMemoryUsageInMB limit exceeded" for its bounds
    if (error instanceof Error && /limit exceeded/.test(error.message)) throw new QrImageError('too-large', 'JPEG');
    throw new QrImageError('not-an-image', 'damaged JPEG');
  }
}

/** PNG or JPEG bytes as pixels; anything else, or anything over the bounds, is refused in words. */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (bytes.length > MAX_IMAGE_BYTES) throw new QrImageError('too-large', `${bytes.length} bytes`);
  if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return decodeJpeg(bytes);
  throw new QrImageError('not-an-image');
}

/** The text of the QR code in the picture; dark-on-light and light-on-dark (a dark-mode screenshot) both read. */
export function readQrText(image: RgbaImage): string {
  // jsqr's typings declare an ES default over a CommonJS module; its module.exports.default is the same function
  const found = jsqr.default(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
  if (found === null || found.data === '') throw new QrImageError('no-qr-code');
  return found.data;
}

/** What an enrollment picture says: the secret and its settings, checked as fully as a pasted link. */
export function totpFromQrImage(bytes: Uint8Array): TotpEnrollment {
  const text = readQrText(decodeImage(bytes));
  if (!/^otpauth:\/\//i.test(text.trim())) throw new QrImageError('not-a-setup-code');
  return parseTotpUri(text);
}
