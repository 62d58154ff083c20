/** The `outpost` program: bin/outpost.js runs it, bundled (dist/cli/outpost.mjs) or as tsc wrote it. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
