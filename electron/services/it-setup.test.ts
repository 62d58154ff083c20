import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { linuxNetworkHost } from '../../core/adapter/linux/host.js';
import { createServices } from './create-services.js';
import { loadItSetup } from './it-setup.js';
import { pskProfileJson } from './test-support.js';

/** An /etc/outpost of our own (root-owned: these tests run as root) with a policy and a managed profile. */
async function etc(body: (dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'outpost-it-'));
  await chmod(root, 0o755);
  const dir = join(root, 'outpost');
  await mkdir(join(dir, 'profiles'), { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'profiles', 'office.json'), pskProfileJson('Office'));
  try {
    await body(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('a trusted policy and profile folder reach the services: policy, log level, managed profiles, warnings logged', () =>
  etc(async (dir) => {
    await writeFile(
      join(dir, 'policy.json'),
      JSON.stringify({ logLevel: 'warn', killSwitch: true, defaultProfile: 'office', colour: 1 }),
    );
    const it = await loadItSetup({
      platform: 'linux',
      file: join(dir, 'policy.json'),
      managedDir: join(dir, 'profiles'),
    });
    assert.equal(it.managedDir, join(dir, 'profiles'));
    assert.equal(it.source, join(dir, 'policy.json'));
    const services = createServices({
      configDir: join(dir, 'config'),
      it,
      network: linuxNetworkHost({ stateDir: join(dir, 'state') }),
    });
    assert.equal(services.policy.killSwitch, true);
    // the managed folder reached the profile store: the default names a profile it lists
    assert.equal((await services.handlers['policy:get']()).defaultProfileId, 'managed-office');
    services.logs.log('an info line is below the warn level IT chose');
    const log = services.logs.export();
    assert.match(log, /"colour" is not a policy key/);
    assert.doesNotMatch(log, /an info line/);
  }));

test('a profile folder others may write is ignored with a warning; the policy still applies', () =>
  etc(async (dir) => {
    await chmod(join(dir, 'profiles'), 0o777);
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ allowUserProfiles: false }));
    const it = await loadItSetup({
      platform: 'linux',
      file: join(dir, 'policy.json'),
      managedDir: join(dir, 'profiles'),
    });
    assert.equal(it.managedDir, undefined);
    assert.equal(it.policy.allowUserProfiles, false);
    assert.match(it.warnings.join(), /managed profiles in .*profiles are ignored: .*mode 777/);
  }));

test('no policy and no folder: the defaults, no managed profiles, no warning', () =>
  etc(async (dir) => {
    const it = await loadItSetup({ platform: 'linux', file: join(dir, 'none.json'), managedDir: join(dir, 'none') });
    assert.deepEqual([it.managedDir, it.warnings, it.source], [undefined, [], undefined]);
  }));
