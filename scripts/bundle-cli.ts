/**
 * The CLI bundled by esbuild: what bin/outpost.js runs in a checkout (dist/cli/, built by `npm run build:cli`, which
 * `build` and so `prepare` run) and what the Debian package installs. A few files start faster than the hundreds tsc
 * writes; split at the commands' dynamic imports, `--version` reads a few kilobytes and the engine's chunk loads only
 * for a command that needs it. koffi stays outside, loaded from node_modules at run time.
 */
import { build } from 'esbuild';

export const CLI_ENTRY = 'outpost.mjs';
/** Where `npm run build:cli` writes the bundle, relative to the checkout; the source maps' paths are relative to it. */
export const OUT_DIR = 'dist/cli';

export interface CliBundle {
  /** CLI_ENTRY and the chunks it imports, with their source maps when asked for. */
  files: { name: string; contents: Uint8Array }[];
  /** The npm packages bundled in (the Debian copyright file must name each). */
  packages: string[];
}

export async function bundleCli(root: string, { sourceMap }: { sourceMap: boolean }): Promise<CliBundle> {
  const result = await build({
    absWorkingDir: root,
    // the data-path worker is a module of its own: a worker thread starts from a file
    entryPoints: { outpost: 'core/cli/bin.ts', 'datapath-worker': 'core/datapath/worker.ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    // CommonJS dependencies (pkijs's @noble/hashes) require() node's built-ins; an ES module has no require of its own
    banner: {
      js: "import { createRequire as __outpostRequire } from 'node:module';\nconst require = __outpostRequire(import.meta.url);",
    },
    legalComments: 'inline',
    sourcemap: sourceMap ? 'linked' : false,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const outdir = `${root.replace(/\/$/, '')}/${OUT_DIR}/`;
  const files = result.outputFiles
    .map((file) => ({ name: file.path.slice(outdir.length), contents: file.contents }))
    .map((file) =>
      file.name === CLI_ENTRY
        ? { ...file, contents: Buffer.concat([Buffer.from('#!/usr/bin/node\n'), file.contents]) }
        : file,
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const packages = Object.keys(result.metafile.inputs)
    .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
    .filter((name): name is string => name !== undefined);
  return { files, packages: [...new Set(packages)].sort() };
}
