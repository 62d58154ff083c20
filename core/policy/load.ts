/**
 * IT's policy and profile folder on this computer, from where each OS keeps machine-wide settings:
 * - Linux: /etc/outpost/policy.json, root-owned and writable by root only (and its folder);
 * - Windows: HKLM\SOFTWARE\Policies\Outpost VPN (Group Policy, see build/windows/outpost.admx);
 * - macOS: /Library/Managed Preferences/com.outpost.vpn.plist (a configuration profile, see
 *   build/macos/outpost-policy.mobileconfig), root-owned like the Linux file.
 * Anything that cannot be trusted or read gives the default policy and a warning for the log, never a crash: a broken
 * policy must not stop people from working, and the warning tells IT why their setting did not apply.
 */

import { CommandFailed, type CommandRunner, runCommand } from '../adapter/linux/commands.js';
import { messageOf } from '../errors.js';
import { parseXmlPlist } from './plist.js';
import { posixFolderTrust, readTrustedFile, type Trust } from './posix-trust.js';
import { defaultPolicy, POLICY_KEYS, type Policy, parsePolicy } from './schema.js';
import { ownerSidCommand, windowsFolderTrust } from './windows-acl.js';
import { POLICY_KEY, parseRegQuery } from './windows-registry.js';

export const LINUX_POLICY_FILE = '/etc/outpost/policy.json';
export const MACOS_POLICY_FILE = '/Library/Managed Preferences/com.outpost.vpn.plist';

export interface LoadedPolicy {
  policy: Policy;
  /** Where it came from; undefined when this computer has none (the defaults apply). */
  source: string | undefined;
  /** Sentences for IT, for the log. */
  warnings: string[];
}

export interface PolicyEnvironment {
  platform: NodeJS.Platform;
  /** The policy file on Linux or macOS (tests use a folder of their own). */
  file?: string;
  /** Runs reg, icacls, powershell and plutil (tests replay recorded output). */
  run?: CommandRunner;
}

/** Policy files are a few hundred bytes; a huge one is a mistake or an attack. */
const MAX_POLICY_BYTES = 64 * 1024;

function defaults(warnings: string[] = [], source?: string): LoadedPolicy {
  return { policy: defaultPolicy(), source, warnings };
}

function parsed(raw: unknown, source: string, warnings: string[] = []): LoadedPolicy {
  const result = parsePolicy(raw, source);
  return { policy: result.policy, source, warnings: [...warnings, ...result.warnings.map((w) => w.message)] };
}

export async function loadPolicy(env: PolicyEnvironment): Promise<LoadedPolicy> {
  const run = env.run ?? runCommand;
  try {
    if (env.platform === 'win32') return await registryPolicy(run);
    if (env.platform === 'darwin') return await plistPolicy(env.file ?? MACOS_POLICY_FILE, run);
    return await jsonPolicy(env.file ?? LINUX_POLICY_FILE);
  } catch (error) {
    return defaults([`The policy could not be read (${messageOf(error)}); the defaults apply.`]);
  }
}

async function registryPolicy(run: CommandRunner): Promise<LoadedPolicy> {
  let output: string;
  try {
    output = await run('reg', ['query', POLICY_KEY, '/s']);
  } catch (error) {
    // reg exits 1 when the key does not exist: no Group Policy for Outpost on this computer
    if (error instanceof CommandFailed && /unable to find/i.test(error.stderr)) return defaults();
    throw error;
  }
  const { values, warnings } = parseRegQuery(output, POLICY_KEYS);
  return parsed(values, POLICY_KEY, warnings);
}

async function jsonPolicy(file: string): Promise<LoadedPolicy> {
  const read = await readTrustedFile(file, MAX_POLICY_BYTES);
  if (read === undefined) return defaults();
  if ('refused' in read) return defaults([`The policy ${file} is ignored: ${read.refused}.`]);
  let raw: unknown;
  try {
    raw = JSON.parse(read.text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return defaults([`The policy ${file} is ignored: it is not valid JSON (${messageOf(error)}).`], file);
  }
  return parsed(raw, file);
}

async function plistPolicy(file: string, run: CommandRunner): Promise<LoadedPolicy> {
  const read = await readTrustedFile(file, MAX_POLICY_BYTES);
  if (read === undefined) return defaults();
  if ('refused' in read) return defaults([`The policy ${file} is ignored: ${read.refused}.`]);
  // managed preferences are usually binary plists; plutil (on every Mac) turns them into XML
  const xml = read.text.trimStart().startsWith('<')
    ? read.text
    : await run('plutil', ['-convert', 'xml1', '-o', '-', file]);
  let raw: unknown;
  try {
    raw = parseXmlPlist(xml);
  } catch (error) {
    return defaults([`The policy ${file} is ignored: ${messageOf(error)}.`], file);
  }
  return parsed(raw, file);
}

/**
 * Whether IT's profile folder may be used: owned by root (Administrators on Windows) and writable by nobody else.
 * undefined when there is no such folder.
 */
export async function managedFolderTrust(dir: string, env: PolicyEnvironment): Promise<Trust | undefined> {
  const run = env.run ?? runCommand;
  try {
    if (env.platform === 'win32') {
      const acl = await run('icacls', [dir]);
      const owner = await run('powershell.exe', ownerSidCommand(dir));
      return windowsFolderTrust(dir, acl, owner);
    }
    return await posixFolderTrust(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof CommandFailed && /cannot find|not find/i.test(error.stderr)) return undefined;
    return { trusted: false, reason: `its permissions could not be read (${messageOf(error)})` };
  }
}
