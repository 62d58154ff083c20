/**
 * The pictures main reads itself for QR enrollment: the clipboard's image and, once the user agrees, the primary
 * screen, the whole of it (the decoder finds the code anywhere in the picture). Both stay bytes in memory (PNG, or
 * JPEG from the clipboard) and go straight to the decoder; nothing is written to disk. Electron's
 * clipboard, desktopCapturer and screen are passed in (their shapes below), so this runs under Node with fakes.
 */
import { MAX_IMAGE_BYTES, QrImageError } from '../../core/secrets/qr.js';
import type { QrImageSource } from '../ipc/schema.js';
import { fail } from './ui-error.js';

/** The part of Electron's NativeImage used here. */
export interface ImageLike {
  isEmpty(): boolean;
  toPNG(): Uint8Array;
}

/** The picture formats the decoder reads, as the clipboard names them. */
const CLIPBOARD_IMAGE_TYPES = ['image/png', 'image/jpeg'] as const;

/** The part of Electron's (W3C-style) clipboard used here. */
export interface ClipboardLike {
  read(): Promise<{ readonly types: readonly string[]; getType(type: string): Promise<unknown> }[]>;
}

export interface ElectronImageDeps {
  clipboard: ClipboardLike;
  desktopCapturer: {
    getSources(options: {
      types: 'screen'[];
      thumbnailSize: { width: number; height: number };
    }): Promise<{ display_id: string; thumbnail: ImageLike }[]>;
  };
  screen: { getPrimaryDisplay(): { id: number; size: { width: number; height: number }; scaleFactor: number } };
  /** Asks the user whether the screen may be looked at once (a dialog in main); false means no capture at all. */
  confirmScreenScan(): Promise<boolean>;
}

/** What the enroll handler asks for; absent where there is no desktop (the dev/test bridge). */
export interface QrImageReader {
  clipboard(): Promise<Uint8Array>;
  screen(): Promise<Uint8Array>;
}

export function electronQrImageReader(deps: ElectronImageDeps): QrImageReader {
  return {
    clipboard: async () => {
      for (const item of await deps.clipboard.read()) {
        const type = CLIPBOARD_IMAGE_TYPES.find((t) => item.types.includes(t));
        if (type === undefined) continue;
        const blob = await item.getType(type);
        if (blob instanceof Blob) return new Uint8Array(await blob.arrayBuffer());
      }
      throw fail('qr-clipboard-empty', 'The clipboard holds no picture. Copy the QR code as an image and try again.');
    },
    screen: async () => {
      if (!(await deps.confirmScreenScan())) throw fail('qr-scan-declined', 'The screen was not scanned.');
      const display = deps.screen.getPrimaryDisplay();
      // the thumbnail is the capture: ask for it in device pixels so a small code on a HiDPI screen stays sharp
      const thumbnailSize = {
        width: Math.round(display.size.width * display.scaleFactor),
        height: Math.round(display.size.height * display.scaleFactor),
      };
      const sources = await deps.desktopCapturer.getSources({ types: ['screen'], thumbnailSize });
      const primary = sources.find((s) => s.display_id === String(display.id)) ?? sources[0];
      if (primary === undefined || primary.thumbnail.isEmpty()) {
        throw fail(
          'qr-screen-unavailable',
          'Outpost could not look at the screen. Save the QR code as a picture instead.',
        );
      }
      return primary.thumbnail.toPNG();
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function notUnderstood(what: string) {
  return fail('invalid-input', 'The request from the window was not understood.', what);
}

/** The window's request as a typed source; a file larger than the decoder accepts is refused before it is copied. */
export function parseQrImageSource(value: unknown): QrImageSource {
  if (typeof value !== 'object' || value === null) throw notUnderstood('source');
  const { kind, base64 } = value as Record<string, unknown>;
  if (kind === 'clipboard' || kind === 'screen') return { kind };
  if (kind !== 'file' || typeof base64 !== 'string') throw notUnderstood('source.kind');
  if (base64.length > Math.ceil(MAX_IMAGE_BYTES / 3) * 4)
    throw new QrImageError('too-large', `${base64.length} base64 characters`);
  if (!BASE64.test(base64)) throw notUnderstood('source.base64');
  return { kind, base64 };
}

/** The picture's bytes wherever it comes from; a source this process cannot read is refused in words. */
export async function qrImageBytes(source: QrImageSource, reader: QrImageReader | undefined): Promise<Uint8Array> {
  if (source.kind === 'file') return Buffer.from(source.base64, 'base64');
  if (reader === undefined) {
    throw fail('qr-source-unavailable', 'Reading the clipboard or the screen is not available here; choose a file.');
  }
  return source.kind === 'clipboard' ? reader.clipboard() : reader.screen();
}
