/**
 * koffi, loaded on first use. Loading it maps a 1.6 MB native library and pulls in node:https (≈100 ms on the build
 * machine), which every `outpost` command would otherwise pay at start-up, `--version` and `--help` included; only the
 * TUN device and the helper's peer-credential check need it.
 */
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

let koffi: typeof Koffi | undefined;

export function ffi(): typeof Koffi {
  // a plain require left to run time: the packaged bundle finds koffi (and its binary) in node_modules beside it
  koffi ??= createRequire(import.meta.url)('koffi') as typeof Koffi;
  return koffi;
}
