/**
 * outpost(1) made from the command's own --help text at packaging time, so the manual cannot drift from the command.
 * The help text goes in verbatim (no-fill), escaped so that roff prints it as written.
 */

/** A line of text as roff prints it: backslashes doubled, a leading '.' or "'" not read as a request. */
function roffLine(line: string): string {
  const escaped = line.replaceAll('\\', '\\e').replaceAll('-', '\\-');
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

export function outpostManPage(helpText: string, version: string): string {
  return [
    `.TH OUTPOST 1 "" "Outpost VPN ${version}" "User Commands"`,
    '.SH NAME',
    'outpost \\- IKEv2/IPsec VPN client',
    '.SH SYNOPSIS',
    '.B outpost connect',
    '.RI [ options ]',
    '.br',
    '.B outpost disconnect',
    '.br',
    '.B outpost helper',
    '.SH DESCRIPTION',
    'What',
    '.B outpost \\-\\-help',
    'prints:',
    '.PP',
    '.nf',
    ...helpText.trimEnd().split('\n').map(roffLine),
    '.fi',
    '.SH FILES',
    '.TP',
    '.I /run/outpost/helper.sock',
    'The network service an ordinary user connects through (members of the group',
    '.BR outpost ).',
    '.SH SEE ALSO',
    '.BR outpost-helper (8)',
    '',
  ].join('\n');
}
