import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './netns.js';

const created = new Set<string>();
let exitHookInstalled = false;

/**
 * A fresh temporary directory named after this process (outpost-<kind>-<pid>-XXXXXX), removed at process exit if
 * still there. Directories of earlier runs whose process is gone (killed outright) are removed first.
 */
export async function createRunDir(kind: string): Promise<string> {
  const prefix = `outpost-${kind}-`;
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const owner = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
      await rm(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeAllSync);
  }
  const dir = await mkdtemp(join(tmpdir(), `${prefix}${process.pid}-`));
  created.add(dir);
  return dir;
}

export async function removeRunDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  created.delete(dir);
}

function removeAllSync(): void {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
}
