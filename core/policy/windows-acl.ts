/**
 * Whether a folder of IT-managed profiles on Windows may speak for IT. The default ACL of %ProgramData% lets every
 * user create files and folders in it (BUILTIN\Users: WD, AD), and its subfolders inherit that, so a
 * %ProgramData%\Outpost\profiles that an installer did not lock down is writable by any user. The installer
 * (build/windows/installer.nsh) gives it an Administrators/SYSTEM-only ACL; this check refuses the folder otherwise.
 *
 * Two facts, each from a program present on every Windows, parsed from its text:
 * - the access list, from `icacls <folder>`: no principal but SYSTEM, Administrators or TrustedInstaller may write;
 * - the owner, from PowerShell's Get-Acl as a SID: an owner may always rewrite the access list.
 * icacls prints localised names (VORDEFINIERT\Administratoren): only the English names and SIDs are recognised, so on
 * another language the folder is refused with the reason logged: the safe side of the mistake, and TRUSTED_PRINCIPALS
 * is the one place to add a language's names.
 */
import type { Trust } from './posix-trust.js';

/** SYSTEM, Administrators, TrustedInstaller: by name (English Windows) and by SID. */
const TRUSTED_PRINCIPALS = new Set(
  [
    'NT AUTHORITY\\SYSTEM',
    'BUILTIN\\Administrators',
    'NT SERVICE\\TrustedInstaller',
    '*S-1-5-18',
    '*S-1-5-32-544',
    '*S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464',
  ].map((p) => p.toLowerCase()),
);

const TRUSTED_OWNER_SIDS = new Set([
  'S-1-5-18',
  'S-1-5-32-544',
  'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464',
]);

/** Inheritance flags icacls prints in their own parentheses. */
const INHERITANCE = new Set(['OI', 'CI', 'IO', 'NP', 'I']);

/** Rights that let the holder add, change or delete files, or change the ACL or owner. */
const WRITE_RIGHTS = new Set(['F', 'M', 'W', 'D', 'DC', 'WD', 'AD', 'WEA', 'WA', 'WDAC', 'WO', 'GA', 'GW', 'MA']);

export interface AccessEntry {
  principal: string;
  deny: boolean;
  /** Applies to what the folder contains only, not to the folder itself. */
  inheritOnly: boolean;
  rights: string[];
}

const ENTRY = /^(.+?):((?:\([^)]*\))+)$/;

/** The access entries of `folder` in `icacls folder` output (the summary line and blank lines are skipped). */
export function parseIcacls(output: string, folder: string): AccessEntry[] {
  const entries: AccessEntry[] = [];
  for (const rawLine of output.split(/\r?\n/)) {
    let line = rawLine.trim();
    // the first entry shares its line with the folder's path
    if (line.toLowerCase().startsWith(folder.toLowerCase())) line = line.slice(folder.length).trim();
    const match = ENTRY.exec(line);
    if (match === null) continue;
    const [, principal = '', groups = ''] = match;
    const parts = [...groups.matchAll(/\(([^)]*)\)/g)].map(([, inside = '']) => inside);
    entries.push({
      principal,
      deny: parts.includes('DENY'),
      inheritOnly: parts.includes('IO'),
      rights: parts.filter((p) => p !== 'DENY' && !INHERITANCE.has(p)).flatMap((p) => p.split(',')),
    });
  }
  return entries;
}

/** The verdict on a folder from its icacls output and its owner's SID (Get-Acl). */
export function windowsFolderTrust(folder: string, icaclsOutput: string, ownerSid: string): Trust {
  const entries = parseIcacls(icaclsOutput, folder);
  if (entries.length === 0) return { trusted: false, reason: `the access list of ${folder} could not be read` };
  const owner = ownerSid.trim();
  if (!TRUSTED_OWNER_SIDS.has(owner)) {
    return { trusted: false, reason: `${folder} is owned by ${owner || 'an unknown account'}, not Administrators` };
  }
  for (const entry of entries) {
    if (entry.deny || entry.inheritOnly) continue;
    const writes = entry.rights.filter((r) => WRITE_RIGHTS.has(r));
    if (writes.length > 0 && !TRUSTED_PRINCIPALS.has(entry.principal.toLowerCase())) {
      return { trusted: false, reason: `${entry.principal} may change ${folder} (${writes.join(',')})` };
    }
  }
  return { trusted: true };
}

/** The PowerShell command line that prints a folder's owner as a SID, for windowsFolderTrust. */
export function ownerSidCommand(folder: string): string[] {
  const literal = `'${folder.replaceAll("'", "''")}'`;
  return [
    '-NoProfile',
    '-NonInteractive',
    '-Command',
    `(Get-Acl -LiteralPath ${literal}).GetOwner([System.Security.Principal.SecurityIdentifier]).Value`,
  ];
}
