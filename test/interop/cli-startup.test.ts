/**
 * What `outpost --version`, `--help` and a mistyped option load, recorded by a module hook in the real process (bundled
 * and as tsc wrote it): never the engine, keytar, koffi or the crypto libraries, so they start about as fast as Node.
 * Needs `npm run build` (dist/cli and dist/core). A command that does load its module shows the recorder sees it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RECORDER = join(ROOT, 'test/support/import-recorder.mjs');
const BUNDLED = join(ROOT, 'bin/outpost.js');
const COMPILED = join(ROOT, 'dist/core/cli/bin.js');

/** The modules `node program ...argv` loaded, paths relative to the checkout. */
function loaded(program: string, argv: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-imports-'));
  try {
    const log = join(dir, 'imports');
    spawnSync(process.execPath, ['--import', RECORDER, program, ...argv], {
      env: { ...process.env, OUTPOST_IMPORT_LOG: log },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(`file://${ROOT}`, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine, the secrets' libraries and the native modules, in either form of the CLI. */
const HEAVY =
  /connect-command|service-commands|client-certificate|totp|core\/tunnel\/|core\/ike\/sa|core\/esp\/sa|keytar|koffi|pkijs|otplib|@noble/;
const QUICK_STARTS = [['--version'], ['--help'], ['connect', '--bogus']];

for (const [form, program] of [
  ['bundled', BUNDLED],
  ['compiled', COMPILED],
] as const) {
  for (const argv of QUICK_STARTS) {
    test(`${form}: outpost ${argv.join(' ')} loads no engine, keytar, koffi or crypto library`, () => {
      const modules = loaded(program, argv);
      assert.ok(modules.length > 0, 'the recorder saw the program start');
      assert.deepEqual(
        modules.filter((m) => HEAVY.test(m)),
        [],
      );
    });
  }

  test(`${form}: outpost --version loads only the entry, main, version, errors and exit codes`, () => {
    const modules = loaded(program, ['--version']);
    assert.equal(modules.includes('node:crypto'), false, 'node:crypto');
    const ours = modules.filter((m) => !m.startsWith('node:'));
    const allowed =
      form === 'bundled'
        ? /^(bin\/outpost\.js|dist\/cli\/(outpost|chunk-[A-Z0-9]+)\.mjs)$/
        : /^dist\/core\/(cli\/(bin|main|exit-codes)|errors|version)\.js$/;
    assert.deepEqual(
      ours.filter((m) => !allowed.test(m)),
      [],
    );
  });

  test(`${form}: outpost disconnect does load its command's module (the recorder sees what loads)`, () => {
    const modules = loaded(program, ['disconnect', '--helper', join(tmpdir(), 'outpost-no-such-helper.sock')]);
    assert.ok(
      modules.some((m) => /service-commands/.test(m)),
      modules.join('\n'),
    );
  });
}
