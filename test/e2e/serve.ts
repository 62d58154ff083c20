/**
 * Development only: `node --import tsx test/e2e/serve.ts` builds the renderer, serves it through the bridge with the
 * scripted handlers (any profile JSON with name/gateway/auth imports; the password is "correct horse") and prints
 * the URL to open in a browser. Ctrl-C stops it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { type BridgeServer, startBridgeServer } from './bridge-server.js';
import { fakeBackend } from './fake-handlers.js';

const outDir = join(mkdtempSync(join(tmpdir(), 'outpost-dev-')), 'renderer');
await build({ root: resolve('renderer'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
let emit: BridgeServer['emit'] = () => {};
const server = await startBridgeServer({ root: outDir, handlers: fakeBackend((e, p) => emit(e, p)).handlers });
emit = server.emit;
console.log(`Outpost renderer with scripted handlers: ${server.pageUrl}`);
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
