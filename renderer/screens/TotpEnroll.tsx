import { type FormEvent, useEffect, useState } from 'react';
import type { ProfileSummary, TotpCode, TotpInfo } from '../../electron/ipc/schema.js';
import type { Call } from '../api.js';

/**
 * Two-factor setup: paste the otpauth:// link from IT so Outpost answers the code round itself, then compare the code
 * shown here with the phone. Hardware-token users choose to be asked for a code at each connect instead.
 */
export function TotpEnroll({ call, profile, onDone }: { call: Call; profile: ProfileSummary; onDone: () => void }) {
  const [uri, setUri] = useState('');
  const [info, setInfo] = useState<TotpInfo | undefined>();
  const [code, setCode] = useState<TotpCode | undefined>();
  const enrolled = info !== undefined || profile.hasTotp;

  useEffect(() => {
    if (!enrolled) return;
    let stopped = false;
    const tick = async () => {
      const current = await call('totp:current', profile.id);
      if (!stopped && current !== undefined) setCode(current.value);
    };
    void tick();
    const timer = setInterval(tick, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [enrolled, call, profile.id]);

  async function enroll(event: FormEvent) {
    event.preventDefault();
    const result = await call('totp:enroll', { profileId: profile.id, uri: uri.trim() });
    if (result !== undefined) setInfo(result.value);
  }

  async function askEachTime() {
    if (profile.hasTotp || info !== undefined) {
      if ((await call('totp:remove', profile.id)) === undefined) return;
    }
    onDone();
  }

  return (
    <section aria-labelledby="totp-title">
      <h1 id="totp-title">Two-step verification</h1>
      {!enrolled && (
        <form onSubmit={enroll} className="form">
          <p>
            If IT gave you a setup link starting with <code>otpauth://</code>, paste it here. Outpost will then enter
            your one-time codes for you.
          </p>
          <label>
            Setup link
            <textarea
              name="otpauth"
              rows={3}
              required
              spellCheck={false}
              value={uri}
              onChange={(e) => setUri(e.target.value)}
            />
          </label>
          <button type="submit" className="primary">
            Set up codes
          </button>
        </form>
      )}
      {enrolled && code !== undefined && (
        <div className="totp-code">
          <p>
            {info?.issuer !== undefined ? `${info.issuer}: ` : ''}check that this code matches your authenticator app.
          </p>
          <p className="code">
            <span className="visually-hidden">Current code: </span>
            {code.code}
          </p>
          <p aria-live="off">
            <progress max={info?.period ?? 30} value={code.secondsLeft} aria-label="Time left for this code" />{' '}
            <span className="countdown">{code.secondsLeft} s left</span>
          </p>
          {code.clockWarning !== undefined && (
            <p className="warning" role="alert">
              {code.clockWarning}
            </p>
          )}
          <button type="button" className="primary" onClick={onDone}>
            Done
          </button>
        </div>
      )}
      <fieldset className="choice">
        <legend>Using a hardware token instead?</legend>
        <button type="button" onClick={askEachTime}>
          Ask me for a code each time I connect
        </button>
      </fieldset>
    </section>
  );
}
