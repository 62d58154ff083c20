/**
 * Throwaway users and a group for tests that run Outpost as an ordinary person would: made with useradd/groupadd under
 * names unique to this run (users and groups are global to the machine), removed afterwards and at exit, and by the
 * next run when a run was killed outright.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { processAlive } from './netns.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

export interface TestUsers {
  /** The group the helper admits. */
  group: string;
  /** Two users in the group, and one outside it. */
  alice: TestUser;
  bob: TestUser;
  mallory: TestUser;
  remove(): void;
}

function id(flag: '-u' | '-g', name: string): number {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

/** Our names: a role letter, the creating process's pid, a random tag (`opa-4242-1f2e`). */
const NAME = /^op([abmg])-(\d+)-[0-9a-f]{4}$/;

/** Users and groups of earlier runs that were killed before they could remove them. */
function sweepStale(): void {
  const stale = (database: 'passwd' | 'group') =>
    execFileSync('getent', [database], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.split(':')[0] ?? '')
      .filter((name) => {
        const owner = NAME.exec(name)?.[2];
        return owner !== undefined && !processAlive(Number(owner));
      });
  for (const user of stale('passwd')) execFileSync('userdel', [user], { stdio: 'ignore' });
  for (const group of stale('group')) execFileSync('groupdel', [group], { stdio: 'ignore' });
}

export function createTestUsers(): TestUsers {
  sweepStale();
  const tag = `${process.pid}-${randomBytes(2).toString('hex')}`;
  const group = `opg-${tag}`;
  const names = { alice: `opa-${tag}`, bob: `opb-${tag}`, mallory: `opm-${tag}` };
  const made: string[] = [];
  const remove = () => {
    for (const name of made.splice(0)) execFileSync('userdel', [name], { stdio: 'ignore' });
    try {
      execFileSync('groupdel', [group], { stdio: 'ignore' });
    } catch {
      // never made, or already gone
    }
  };
  process.once('exit', remove);
  execFileSync('groupadd', ['--system', group]);
  const user = (name: string, inGroup: boolean): TestUser => {
    const args = ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group'];
    execFileSync('useradd', [...args, ...(inGroup ? ['--groups', group] : []), name]);
    made.push(name);
    return { name, uid: id('-u', name), gid: id('-g', name) };
  };
  return {
    group,
    alice: user(names.alice, true),
    bob: user(names.bob, true),
    mallory: user(names.mallory, false),
    remove,
  };
}

/** argv that runs `argv` as `user`, with the user's groups and no capabilities (setpriv, util-linux). */
export function asUser(user: TestUser, argv: string[]): string[] {
  return ['setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', '--', ...argv];
}
