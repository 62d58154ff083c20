/**
 * Throwaway users and a group for tests that run Outpost as an ordinary person would: made with useradd/groupadd under
 * names unique to this run (users and groups are global to the machine), removed afterwards and at exit.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

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

export function createTestUsers(): TestUsers {
  const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  const group = `opg${tag}`;
  const names = { alice: `opa${tag}`, bob: `opb${tag}`, mallory: `opm${tag}` };
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
