/** `npm run build:cli`: writes the bundled CLI and its source maps to dist/cli/, what bin/outpost.js prefers. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli, OUT_DIR } from './bundle-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, OUT_DIR);

const { files } = await bundleCli(ROOT, { sourceMap: true });
rmSync(OUT, { recursive: true, force: true }); // chunks of an earlier build would linger under other hashes
mkdirSync(OUT, { recursive: true });
for (const { name, contents } of files) writeFileSync(join(OUT, name), contents);
