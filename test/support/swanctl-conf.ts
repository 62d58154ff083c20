/** One swanctl.conf section: `name { … }` with its entries (which may be sections themselves) indented. */
export function section(name: string, body: string[]): string {
  const indented = body.flatMap((entry) => entry.split('\n')).map((line) => `  ${line}`);
  return [`${name} {`, ...indented, '}'].join('\n');
}
