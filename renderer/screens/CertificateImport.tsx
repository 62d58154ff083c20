import { type FormEvent, useEffect, useState } from 'react';
import type { CertificateInfo, ProfileSummary } from '../../electron/ipc/schema.js';
import type { Call } from '../api.js';
import { certificateWarning, expiryDate } from '../certificate-view.js';
import { DropZone } from '../components/DropZone.js';
import { TextField } from '../components/TextField.js';
import { base64Of } from '../files.js';

interface ChosenFile {
  name: string;
  base64: string;
}

/**
 * EAP-TLS: the user's certificate file (.p12/.pfx) from IT and its password. Main opens it, refuses a wrong password
 * or an expired certificate, and keeps both in the keychain; this window gets back only the subject and the expiry.
 * The password lives in this screen's state until the attempt, then is cleared.
 */
export function CertificateImport({
  call,
  profile,
  onImported,
}: {
  call: Call;
  profile: ProfileSummary;
  onImported: (info: CertificateInfo) => void;
}) {
  // undefined while main is asked, null when the keychain holds none
  const [current, setCurrent] = useState<CertificateInfo | null | undefined>();
  const [file, setFile] = useState<ChosenFile | undefined>();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let stopped = false;
    void call('certificate:info', profile.id).then((stored) => {
      if (!stopped && stored !== undefined) setCurrent(stored.value);
    });
    return () => {
      stopped = true;
    };
  }, [call, profile.id]);

  async function choose(chosen: File) {
    setFile({ name: chosen.name, base64: await base64Of(chosen) });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (file === undefined || busy) return;
    setBusy(true);
    try {
      const result = await call('certificate:import', { profileId: profile.id, pkcs12Base64: file.base64, password });
      if (result !== undefined) {
        setCurrent(result.value);
        setFile(undefined);
        onImported(result.value);
      }
    } finally {
      setPassword('');
      setBusy(false);
    }
  }

  const warning = current ? certificateWarning(current, Date.now()) : undefined;

  return (
    <section aria-labelledby="certificate-title">
      <h1 id="certificate-title">Certificate for {profile.name}</h1>
      <div aria-live="polite">
        {current === null && <p>No certificate yet. Import the file (.p12 or .pfx) IT gave you to connect.</p>}
        {current && (
          <dl className="certificate" data-testid="certificate">
            <div>
              <dt>Issued to</dt>
              <dd>{current.subject}</dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>{expiryDate(current)}</dd>
            </div>
          </dl>
        )}
        {warning !== undefined && <p className="warning">{warning}</p>}
      </div>
      <form onSubmit={submit} className="form">
        <fieldset className="qr-sources" disabled={busy}>
          <legend>{current ? 'Replace it with a new file' : 'Certificate file from IT'}</legend>
          <DropZone
            label="Drop the certificate file here"
            prompt={file === undefined ? 'Drop your .p12 or .pfx file here, or:' : `Chosen: ${file.name}`}
            choose={file === undefined ? 'Choose file…' : 'Choose another…'}
            accept=".p12,.pfx,application/x-pkcs12"
            onFile={choose}
          />
        </fieldset>
        <TextField
          label="Certificate password"
          name="certificate-password"
          type="password"
          autoComplete="off"
          value={password}
          onChange={setPassword}
        />
        <button type="submit" className="primary" disabled={file === undefined || busy}>
          Import certificate
        </button>
      </form>
    </section>
  );
}
