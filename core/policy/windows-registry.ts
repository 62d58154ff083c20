/**
 * Group Policy on Windows: the values under HKLM\SOFTWARE\Policies\Outpost VPN, read with `reg query … /s` (present
 * on every Windows, no native module) and parsed from its text. Only HKLM: a user can write their own HKCU.
 *
 * `reg query` prints a key's path on its own line, then one line per value, indented four spaces, with name, type
 * and data separated by four spaces; REG_MULTI_SZ items are joined with the two characters `\0`.
 */

export const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Outpost VPN';
const POLICY_KEY_PRINTED = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Outpost VPN';

export interface RegistryValues {
  /** Values of the policy key itself, by name, as JSON-like values (REG_DWORD a number, REG_MULTI_SZ a list). */
  values: Record<string, unknown>;
  /** Lines or values that could not be used, in words for IT. */
  warnings: string[];
}

const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z_0-9]+)(?: {4}(.*))?$/;

function registryValue(type: string, data: string): unknown {
  switch (type) {
    case 'REG_DWORD':
    case 'REG_QWORD':
      return /^0x[0-9a-f]+$/i.test(data) ? Number.parseInt(data, 16) : undefined;
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return data;
    case 'REG_MULTI_SZ':
      return data === '' ? [] : data.split('\\0').filter((item) => item !== '');
    default:
      return undefined;
  }
}

/**
 * The policy key's values in `reg query "HKLM\SOFTWARE\Policies\Outpost VPN" /s` output. Value names are matched to
 * `knownNames` without regard to case, as Windows itself does, so `reg add … /v KillSwitch` works as IT expects.
 */
export function parseRegQuery(output: string, knownNames: readonly string[]): RegistryValues {
  const values: Record<string, unknown> = {};
  const warnings: string[] = [];
  let key: string | undefined;
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      key = line.trim();
      continue;
    }
    const match = VALUE_LINE.exec(line);
    if (match === null) continue;
    const [, rawName = '', type = '', data = ''] = match;
    if (key?.toLowerCase() !== POLICY_KEY_PRINTED.toLowerCase()) {
      warnings.push(`${key}\\${rawName}: policies are read from ${POLICY_KEY} itself, not from a subkey; ignored.`);
      continue;
    }
    const name = knownNames.find((n) => n.toLowerCase() === rawName.toLowerCase()) ?? rawName;
    const value = registryValue(type, data.trimEnd());
    if (value === undefined) {
      warnings.push(`${POLICY_KEY}\\${rawName}: a ${type} value cannot be read as a policy; ignored.`);
      continue;
    }
    values[name] = value;
  }
  return { values, warnings };
}
