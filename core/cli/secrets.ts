/**
 * The secrets a connection needs, for the command line: from environment variables when running unattended, else
 * asked on the terminal (on stderr, so stdout stays clean for --json). Only what the profile's authentication method
 * needs is asked for, and everything is asked before connecting: a one-time code typed by hand is taken up front and
 * must still be valid a few seconds later when the gateway asks for it; with OUTPOST_TOTP_SECRET a fresh code is made
 * at the moment the gateway asks. Secrets are never written anywhere.
 */
import type { SigningCredential } from '../crypto/pkcs12.js';
import type { ClientCertificate } from '../eap/tls-client.js';
import { isOutpostError, OutpostError } from '../errors.js';
import { authNeeds } from '../profile/auth-rules.js';
import type { Profile } from '../profile/types.js';

export interface Prompter {
  ask(question: string, hidden: boolean): Promise<string>;
}

export interface Secrets {
  clientCertificate?: ClientCertificate | undefined;
  signingCredential?: SigningCredential | undefined;
  password: (() => string) | undefined;
  psk: Uint8Array | undefined;
  oneTimeCode: (() => string) | undefined;
}

const OTP_CODE = /^\d{6,8}$/;

/** strongSwan's notation for binary secrets in swanctl.conf: 0x... hex, 0s... base64; anything else is the text. */
function pskBytes(text: string): Uint8Array {
  if (/^0x/i.test(text)) {
    const hex = text.slice(2);
    if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) {
      throw new OutpostError('profile-invalid', 'The pre-shared key starts with 0x but is not hex.');
    }
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  if (text.startsWith('0s')) {
    const base64 = text.slice(2);
    if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
      throw new OutpostError('profile-invalid', 'The pre-shared key starts with 0s but is not base64.');
    }
    return Uint8Array.from(Buffer.from(base64, 'base64'));
  }
  return new TextEncoder().encode(text);
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `variables` names the environment variables that would have given the answer without asking. */
async function askFor(
  prompter: Prompter,
  question: string,
  hidden: boolean,
  what: string,
  variables: string,
): Promise<string> {
  let answer: string;
  try {
    answer = await prompter.ask(question, hidden);
  } catch (cause) {
    if (!isOutpostError(cause) || cause.code !== 'profile-invalid') throw cause;
    throw new OutpostError('profile-invalid', `${cause.message} Set ${variables} to run without one.`, { cause });
  }
  if (answer === '') throw new OutpostError('cancelled', `No ${what} was entered.`);
  return answer;
}

async function oneTimeCodeSource(env: NodeJS.ProcessEnv, prompter: Prompter): Promise<() => string> {
  const secret = fromEnv(env, 'OUTPOST_TOTP_SECRET');
  const fixed = fromEnv(env, 'OUTPOST_OTP');
  if (secret !== undefined && fixed !== undefined) {
    throw new OutpostError('profile-invalid', 'Set only one of OUTPOST_TOTP_SECRET and OUTPOST_OTP.');
  }
  if (secret !== undefined) {
    // otplib and pkijs (below) load only for the profiles that use them: they are a large part of the start-up
    const { totpCode } = await import('../secrets/totp.js');
    totpCode(secret); // refuse a bad secret now, not in the middle of the exchange
    return () => totpCode(secret);
  }
  const code = (
    fixed ?? (await askFor(prompter, 'One-time code: ', false, 'one-time code', 'OUTPOST_TOTP_SECRET or OUTPOST_OTP'))
  ).trim();
  if (!OTP_CODE.test(code)) {
    throw new OutpostError('profile-invalid', 'A one-time code is 6 to 8 digits from your authenticator app.');
  }
  return () => code;
}

/** The profile's PKCS#12 opened with its password now: a wrong password or an expired certificate is said at once. */
async function clientCertificate(
  profile: Profile,
  env: NodeJS.ProcessEnv,
  prompter: Prompter,
): Promise<Pick<Secrets, 'clientCertificate' | 'signingCredential'>> {
  const pfx = profile.clientPkcs12;
  if (pfx === undefined) throw new OutpostError('profile-invalid', 'This profile has no certificate file (PKCS#12).');
  const passphrase =
    fromEnv(env, 'OUTPOST_P12_PASSWORD') ??
    (await askFor(
      prompter,
      'Password of the certificate file: ',
      true,
      'certificate password',
      'OUTPOST_P12_PASSWORD',
    ));
  const { openClientCertificate } = await import('../tunnel/client-certificate.js');
  return openClientCertificate(profile.auth, pfx, passphrase, new Date());
}

export async function collectSecrets(profile: Profile, env: NodeJS.ProcessEnv, prompter: Prompter): Promise<Secrets> {
  if (profile.auth === 'psk') {
    const text =
      fromEnv(env, 'OUTPOST_PSK') ??
      (await askFor(prompter, 'Pre-shared key: ', true, 'pre-shared key', 'OUTPOST_PSK'));
    return { password: undefined, psk: pskBytes(text), oneTimeCode: undefined };
  }
  if (authNeeds(profile.auth).clientCertificate === 'required') {
    return {
      ...(await clientCertificate(profile, env, prompter)),
      password: undefined,
      psk: undefined,
      oneTimeCode: undefined,
    };
  }
  const who = profile.username === undefined ? '' : ` for ${profile.username}`;
  const password =
    fromEnv(env, 'OUTPOST_PASSWORD') ??
    (await askFor(prompter, `Password${who}: `, true, 'password', 'OUTPOST_PASSWORD'));
  const oneTimeCode = profile.auth === 'eap-mschapv2+totp' ? await oneTimeCodeSource(env, prompter) : undefined;
  return { password: () => password, psk: undefined, oneTimeCode };
}

/** What the prompter reads from: a TTY stream in raw mode. */
export interface PromptInput extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface PromptOutput {
  write(text: string): unknown;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = ['\u007f', '\b'];
const ESC = '\u001b';

/**
 * Asks on the terminal: the question goes to `output` (stderr), the answer is read in raw mode, character by
 * character, so a hidden answer is never echoed. Ctrl+C or Ctrl+D cancel. Without a terminal it refuses rather than
 * hang (collectSecrets then names the environment variable to set).
 */
export function terminalPrompter(input: PromptInput = process.stdin, output: PromptOutput = process.stderr): Prompter {
  return {
    ask(question: string, hidden: boolean): Promise<string> {
      if (!input.isTTY || !input.setRawMode) {
        return Promise.reject(
          new OutpostError('profile-invalid', `There is no terminal to ask for "${question.replace(/:\s*$/, '')}" on.`),
        );
      }
      const setRawMode = input.setRawMode.bind(input);
      output.write(question);
      setRawMode(true);
      input.setEncoding('utf8');
      input.resume();
      return new Promise((resolvePromise, reject) => {
        let answer = '';
        let inEscape = false;
        const finish = (error?: OutpostError): void => {
          input.off('data', onData);
          setRawMode(false);
          input.pause();
          output.write('\n');
          if (error) reject(error);
          else resolvePromise(answer);
        };
        const onData = (chunk: string): void => {
          for (const ch of chunk) {
            if (inEscape) {
              // a terminal escape sequence (arrow keys...) ends with a letter or '~'
              if (/[A-Za-z~]/.test(ch)) inEscape = false;
              continue;
            }
            if (ch === '\r' || ch === '\n') {
              finish();
              return;
            }
            if (ch === CTRL_C || (ch === CTRL_D && answer === '')) {
              finish(new OutpostError('cancelled', 'Cancelled.'));
              return;
            }
            if (ch === ESC) inEscape = true;
            else if (BACKSPACE.includes(ch)) {
              if (answer.length > 0) {
                answer = Array.from(answer).slice(0, -1).join('');
                if (!hidden) output.write('\b \b');
              }
            } else if (ch === CTRL_U) {
              if (!hidden) output.write('\b \b'.repeat(Array.from(answer).length));
              answer = '';
            } else if (ch >= ' ') {
              answer += ch;
              if (!hidden) output.write(ch);
            }
          }
        };
        input.on('data', onData);
      });
    },
  };
}
