#!/usr/bin/env node
// Draws Outpost's tray icons and app icon as PNG files in assets/, with node's zlib only, so they can be re-made and
// checked byte for byte: `node scripts/make-icons.mjs` writes them, `--check` fails when a committed file differs.
//
// Tray: a shield in the state's colour (grey disconnected, amber connecting/reconnecting, green connected, red error)
// with an outline that reads on light (dark outline) or dark (light outline) task bars, at 16 px and @2x 32 px. macOS
// gets template images instead (black + alpha, recoloured by the menu bar), where the state is the shape: outline,
// outline with a dot, filled, outline with a cross.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const STATES = ['disconnected', 'connecting', 'connected', 'error'];

const FILL = {
  light: { disconnected: [107, 114, 128], connecting: [217, 119, 6], connected: [22, 163, 74], error: [220, 38, 38] },
  dark: {
    disconnected: [156, 163, 175],
    connecting: [251, 191, 36],
    connected: [74, 222, 128],
    error: [248, 113, 113],
  },
};
const OUTLINE = { light: [31, 41, 55], dark: [243, 244, 246] };

// --- PNG (RFC 2083): 8-bit RGBA, no interlace, filter 0 on every row ---

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- shapes in a unit square, sampled 4x4 per pixel for smooth edges ---

/** The shield: flat top, straight sides, sides curving in to a point at the bottom; `scale` shrinks it about its middle. */
function inShield(x, y, scale = 1) {
  const cx = 0.5;
  const cy = 0.51;
  const u = cx + (x - cx) / scale;
  const v = cy + (y - cy) / scale;
  if (v < 0.08 || v > 0.94) return false;
  const t = v <= 0.48 ? 0 : (v - 0.48) / 0.46;
  return Math.abs(u - cx) <= 0.38 * (1 - t * t);
}

function nearSegment(x, y, [x1, y1], [x2, y2], width) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) <= width / 2;
}

/** Each layer: a test (x, y) => boolean and a colour [r, g, b]; later layers paint over earlier ones. */
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          let colour;
          for (const layer of layers) if (layer.test(x, y)) colour = layer.colour;
          if (colour) {
            r += colour[0];
            g += colour[1];
            b += colour[2];
            a += 1;
          }
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) out.set([Math.round(r / a), Math.round(g / a), Math.round(b / a), Math.round((a * 255) / (n * n))], o);
    }
  }
  return png(size, out);
}

/** The mark inside the shield, so that the state does not rest on colour alone. */
const GLYPHS = {
  disconnected: () => false,
  connecting: (x, y) => Math.hypot(x - 0.5, y - 0.45) <= 0.12,
  connected: () => false,
  error: (x, y) =>
    nearSegment(x, y, [0.37, 0.32], [0.63, 0.62], 0.11) || nearSegment(x, y, [0.63, 0.32], [0.37, 0.62], 0.11),
};

function colouredTray(state, theme, size) {
  return render(size, [
    { test: (x, y) => inShield(x, y), colour: OUTLINE[theme] },
    { test: (x, y) => inShield(x, y, 0.8), colour: FILL[theme][state] },
    { test: GLYPHS[state], colour: OUTLINE[theme] },
  ]);
}

const BLACK = [0, 0, 0];

function templateTray(state, size) {
  const ring = (x, y) => inShield(x, y) && !inShield(x, y, 0.72);
  const shape = state === 'connected' ? (x, y) => inShield(x, y) : (x, y) => ring(x, y) || GLYPHS[state](x, y);
  return render(size, [{ test: shape, colour: BLACK }]);
}

function appIcon(size) {
  const inset = (x, y) => Math.max(Math.abs(x - 0.5), Math.abs(y - 0.5)) <= 0.46;
  const rounded = (x, y) => {
    const dx = Math.max(0, Math.abs(x - 0.5) - 0.36);
    const dy = Math.max(0, Math.abs(y - 0.5) - 0.36);
    return inset(x, y) && Math.hypot(dx, dy) <= 0.1;
  };
  const shield = (x, y) => inShield((x - 0.5) / 0.7 + 0.5, (y - 0.5) / 0.7 + 0.5);
  const check = (x, y) =>
    nearSegment(x, y, [0.37, 0.5], [0.46, 0.6], 0.07) || nearSegment(x, y, [0.46, 0.6], [0.64, 0.39], 0.07);
  return render(size, [
    { test: rounded, colour: [30, 58, 138] },
    { test: shield, colour: [37, 99, 235] },
    { test: (x, y) => shield((x - 0.5) / 0.8 + 0.5, (y - 0.5) / 0.8 + 0.5), colour: [59, 130, 246] },
    { test: check, colour: [255, 255, 255] },
  ]);
}

// --- installer icons: a Windows .ico and a macOS .icns, both holding PNG images (Vista+ and macOS 10.7+ read them) ---

function ico(images) {
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  let offset = head.length;
  images.forEach(({ size, bytes }, i) => {
    const entry = 6 + 16 * i;
    head.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
    head.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    head.writeUInt16LE(1, entry + 4); // colour planes
    head.writeUInt16LE(32, entry + 6); // bits per pixel
    head.writeUInt32LE(bytes.length, entry + 8);
    head.writeUInt32LE(offset, entry + 12);
    offset += bytes.length;
  });
  return Buffer.concat([head, ...images.map((i) => i.bytes)]);
}

/** The icns types that hold PNG data, by pixel size (Apple's "ic" types; @2x ones share a size with the next). */
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

function icns(pngBySize) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + pngBySize.get(size).length, 4);
    return Buffer.concat([head, pngBySize.get(size)]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

/** The app icon at every size the installers use: build/icon.png (1024 px, Linux), build/icon.ico, build/icon.icns. */
function installerIcons(files) {
  const bySize = new Map([16, 24, 32, 48, 64, 128, 256, 512, 1024].map((size) => [size, appIcon(size)]));
  files.set('build/icon.png', bySize.get(1024));
  files.set('build/icon.ico', ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, bytes: bySize.get(size) }))));
  files.set('build/icon.icns', icns(bySize));
}

/** Every file, by its path under the repository, with its bytes. */
export function renderIcons() {
  const files = new Map();
  for (const state of STATES) {
    for (const theme of ['light', 'dark']) {
      files.set(`assets/tray/${state}-${theme}.png`, colouredTray(state, theme, 16));
      files.set(`assets/tray/${state}-${theme}@2x.png`, colouredTray(state, theme, 32));
    }
    files.set(`assets/tray/${state}Template.png`, templateTray(state, 16));
    files.set(`assets/tray/${state}Template@2x.png`, templateTray(state, 32));
  }
  files.set('assets/icon.png', appIcon(256));
  installerIcons(files);
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, bytes] of renderIcons()) {
    const full = join(ROOT, path);
    if (check) {
      let current;
      try {
        current = readFileSync(full);
      } catch {
        current = undefined;
      }
      if (!current?.equals(bytes)) {
        console.error(`differs: ${path}`);
        stale++;
      }
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, bytes);
    }
  }
  if (stale > 0) process.exit(1);
}
