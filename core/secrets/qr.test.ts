/**
 * Enrollment pictures made here with the `qrcode` library and real PNG/JPEG encoders (pngjs, jpeg-js): straight,
 * rotated, inverted, lossy; and what must be refused in words: not an image, a damaged one, a blank one, a QR code
 * that is not a setup link, a setup link that is not usable, and pictures over the size bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, type QrFailure, QrImageError, totpFromQrImage } from './qr.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const LINK = `otpauth://totp/Example%20Corp:alice?secret=${SECRET}&issuer=Example%20Corp&digits=6&period=30`;

interface Drawing {
  scale?: number;
  margin?: number;
  /** degrees, clockwise */
  angle?: number;
  /** light modules on a dark background, as a dark-mode screenshot shows it */
  inverted?: boolean;
}

/** The symbol's modules drawn into RGBA pixels, rotated about the picture's centre by nearest-neighbour sampling. */
function draw(text: string, { scale = 6, margin = 4, angle = 0, inverted = false }: Drawing = {}) {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 2 * margin) * scale;
  const size = Math.ceil(side * 1.5);
  const data = new Uint8ClampedArray(size * size * 4);
  const [cos, sin] = [Math.cos((angle * Math.PI) / 180), Math.sin((angle * Math.PI) / 180)];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - size / 2;
      const dy = y - size / 2;
      const col = Math.floor((cos * dx + sin * dy + side / 2) / scale) - margin;
      const row = Math.floor((-sin * dx + cos * dy + side / 2) / scale) - margin;
      const inside = row >= 0 && col >= 0 && row < modules.size && col < modules.size;
      const dark = inside && modules.get(row, col) === 1;
      const value = dark !== inverted ? 0 : 255;
      data.fill(value, (y * size + x) * 4, (y * size + x) * 4 + 3);
      data[(y * size + x) * 4 + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

function png(image: { width: number; height: number; data: Uint8ClampedArray }): Uint8Array {
  const out = new PNG({ width: image.width, height: image.height });
  out.data = Buffer.from(image.data);
  return PNG.sync.write(out);
}

function jpg(image: { width: number; height: number; data: Uint8ClampedArray }, quality = 75): Uint8Array {
  return jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data) }, quality).data;
}

function refusedWith(reason: QrFailure): (e: unknown) => boolean {
  return (e) => e instanceof QrImageError && e.code === 'qr-unreadable' && e.reason === reason && e.message.length > 0;
}

/** No message or detail may carry the secret or the link that holds it. */
function secretFree(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    const text = `${(e as Error).message} ${String((e as QrImageError).detail)}`;
    assert.ok(!text.includes(SECRET) && !text.includes('otpauth://totp'), text);
    throw e;
  }
}

const EXPECTED = { issuer: 'Example Corp', account: 'alice', algorithm: 'SHA1', digits: 6, period: 30 };

test('a PNG straight from the qrcode library enrolls: settings and the secret as the link says', async () => {
  const bytes = await QRCode.toBuffer(LINK, { type: 'png' });
  const { info, secret } = totpFromQrImage(bytes);
  assert.deepEqual(info, EXPECTED);
  assert.equal(secret, SECRET);
});

test('a JPEG (lossy, quality 60) of the code enrolls', () => {
  assert.deepEqual(totpFromQrImage(jpg(draw(LINK), 60)).info, EXPECTED);
});

test('a code photographed at an angle (30° and 90°) and a light-on-dark screenshot enroll', () => {
  assert.equal(totpFromQrImage(png(draw(LINK, { angle: 30 }))).secret, SECRET);
  assert.equal(totpFromQrImage(png(draw(LINK, { angle: 90 }))).secret, SECRET);
  assert.equal(totpFromQrImage(jpg(draw(LINK, { angle: 180, inverted: true }))).secret, SECRET);
});

test('a blank picture has no QR code', () => {
  const blank = { width: 200, height: 200, data: new Uint8ClampedArray(200 * 200 * 4).fill(255) };
  assert.throws(() => totpFromQrImage(png(blank)), refusedWith('no-qr-code'));
  assert.throws(() => totpFromQrImage(jpg(blank)), refusedWith('no-qr-code'));
});

test('text, an empty file, a damaged PNG or JPEG, a GIF: not an image', () => {
  const good = png(draw(LINK));
  const cases: Uint8Array[] = [
    new TextEncoder().encode(LINK),
    new Uint8Array(0),
    good.subarray(0, 40),
    Uint8Array.from([...good.subarray(0, 33), ...new Uint8Array(500).fill(7)]),
    jpg(draw(LINK)).subarray(0, 30),
    new TextEncoder().encode('GIF89a\x01\x00\x01\x00'),
  ];
  for (const bytes of cases) assert.throws(() => secretFree(() => totpFromQrImage(bytes)), refusedWith('not-an-image'));
});

test('a QR code holding a web address is not a setup code', async () => {
  const bytes = await QRCode.toBuffer('https://www.example.com/', { type: 'png' });
  assert.throws(() => totpFromQrImage(bytes), refusedWith('not-a-setup-code'));
});

test('an otpauth code the link checks refuse (HOTP, short secret) says why, without the secret', async () => {
  const hotp = await QRCode.toBuffer(`otpauth://hotp/x?secret=${SECRET}&counter=1`, { type: 'png' });
  assert.throws(
    () => secretFree(() => totpFromQrImage(hotp)),
    (e: unknown) => e instanceof Error && /counter-based codes \(HOTP\)/.test(e.message),
  );
  const short = await QRCode.toBuffer('otpauth://totp/x?secret=JBSWY3DP', { type: 'png' });
  assert.throws(
    () => secretFree(() => totpFromQrImage(short)),
    (e: unknown) => e instanceof Error && /too short/.test(e.message),
  );
});

test('size bounds: too many bytes, or a PNG/JPEG header announcing too many pixels, refused before decoding', () => {
  assert.throws(() => totpFromQrImage(new Uint8Array(MAX_IMAGE_BYTES + 1)), refusedWith('too-large'));
  // a real PNG whose IHDR says one row more than the bound allows: refused from the header, nothing inflated
  const header = Buffer.from(png(draw(LINK)));
  header.writeUInt32BE(4000, 16);
  header.writeUInt32BE(MAX_IMAGE_PIXELS / 4000 + 1, 20);
  assert.throws(() => totpFromQrImage(header), refusedWith('too-large'));
  // a JPEG over the pixel bound, encoded for real (a 4200 x 4200 grey picture compresses to little)
  const side = 4200;
  const big = { width: side, height: side, data: new Uint8ClampedArray(side * side * 4).fill(200) };
  const bytes = jpg(big, 10);
  assert.ok(bytes.length < MAX_IMAGE_BYTES);
  assert.throws(() => totpFromQrImage(bytes), refusedWith('too-large'));
});
