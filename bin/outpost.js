#!/usr/bin/env node
// The CLI is compiled by `npm install` (prepare → tsc) so that startup does not pay for a TypeScript loader.
import { main } from '../dist/core/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
