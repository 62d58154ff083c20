/**
 * `node --import ./import-recorder.mjs`: appends every module the process loads to the file named by
 * OUTPOST_IMPORT_LOG, one per line: ES modules by URL (a resolve hook, in the loader's thread) and CommonJS modules by
 * path (koffi and keytar are required, which the ES hooks do not see).
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const log = process.env.OUTPOST_IMPORT_LOG;
const record = (name) => {
  if (log) appendFileSync(log, `${name}\n`);
};

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  record(result.url);
  return result;
}

if (isMainThread) {
  register(import.meta.url);
  const load = Module._load;
  Module._load = function recordedLoad(request, parent, isMain) {
    record(`require:${request}`);
    return load.call(this, request, parent, isMain);
  };
}
