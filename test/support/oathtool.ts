import { run } from './netns.js';

/** The current TOTP code (RFC 6238, SHA-1, 6 digits, 30 s) from oathtool: independent of the code under test. */
export async function oathtoolTotp(base32Secret: string, secondsAgo = 0): Promise<string> {
  const when = secondsAgo === 0 ? [] : ['--now', `${secondsAgo} seconds ago`];
  const result = await run(['oathtool', '--totp', '-b', ...when, base32Secret]);
  const code = result.stdout.trim();
  if (result.code !== 0 || !/^\d{6}$/.test(code)) throw new Error(`oathtool failed: ${result.stderr.trim()}`);
  return code;
}
