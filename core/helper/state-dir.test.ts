/**
 * The helper's state directory (these run as root, as the helper does): made private when missing, and refused, in
 * words, when it is a link, belongs to someone else or can be written by others; a journal that is a link or that
 * others could have written is not believed.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readJournal } from '../adapter/linux/journal.js';
import { isOutpostError } from '../errors.js';
import { secureStateDir } from './state-dir.js';

const root = mkdtempSync(join(tmpdir(), 'outpost-statedir-'));
after(() => rmSync(root, { recursive: true, force: true }));

function refused(path: string, words: RegExp): void {
  assert.throws(
    () => secureStateDir(path),
    (error: unknown) => isOutpostError(error) && words.test(error.message) && error.message.includes(path),
  );
}

describe('the helper state directory', () => {
  it('is made root-only when missing, and accepted as it is when it already is', () => {
    const dir = join(root, 'fresh', 'state');
    secureStateDir(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    secureStateDir(dir);
  });

  it('is refused when it is a symbolic link, not a directory, someone else’s, or writable by others', () => {
    const real = join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(root, 'link');
    symlinkSync(real, link);
    refused(link, /symbolic link/);
    const file = join(root, 'file');
    writeFileSync(file, '');
    refused(file, /(not a directory|cannot be created)/);
    const theirs = join(root, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    refused(theirs, /belongs to uid 65534/);
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    refused(open, /can be written by others/);
  });

  it('does not believe a journal that is a link or that others could write', () => {
    const dir = join(root, 'journals');
    mkdirSync(dir, { mode: 0o700 });
    const target = join(dir, 'elsewhere.json');
    writeFileSync(target, JSON.stringify({ version: 1, owner: { pid: 1, startTime: '1', bootId: 'b' }, changes: [] }), {
      mode: 0o600,
    });
    assert.equal(typeof readJournal(target), 'object', 'the control: a private journal is read');
    const linked = join(dir, 'network.json');
    symlinkSync(target, linked);
    assert.equal(readJournal(linked), 'unreadable');
    chmodSync(target, 0o666);
    assert.equal(readJournal(target), 'unreadable');
  });
});
