import { type FormEvent, useState } from 'react';
import type { ProfileSummary } from '../../electron/ipc/schema.js';
import type { Call } from '../api.js';
import { TextField } from '../components/TextField.js';

/**
 * Username and password. With "remember" the password goes to the keychain through main; without it main keeps only
 * the username and the password stays in this window's memory for the next Connect.
 */
export function Login({
  call,
  profile,
  mayRemember,
  onSignedIn,
}: {
  call: Call;
  profile: ProfileSummary;
  /** IT's policy allows keeping the password in the keychain. */
  mayRemember: boolean;
  onSignedIn: (password: string | undefined) => void;
}) {
  const [username, setUsername] = useState(profile.username ?? '');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(mayRemember && profile.hasPassword);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { profileId: profile.id, username, remember, ...(remember ? { password } : {}) };
    const ok = await call('credentials:set', input);
    if (ok !== undefined) onSignedIn(password === '' ? undefined : password);
  }

  return (
    <section aria-labelledby="login-title">
      <h1 id="login-title">Sign in to {profile.name}</h1>
      <form onSubmit={submit} className="form">
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={setUsername}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required={!profile.hasPassword}
          placeholder={profile.hasPassword ? 'Saved — leave empty to keep it' : ''}
          value={password}
          onChange={setPassword}
        />
        {mayRemember && (
          <label className="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
            Remember my password on this computer
          </label>
        )}
        <button type="submit" className="primary">
          Continue
        </button>
      </form>
    </section>
  );
}
