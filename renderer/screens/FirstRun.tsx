import { type ChangeEvent, useState } from 'react';
import type { ProfileSummary } from '../../electron/ipc/schema.js';
import type { Call } from '../api.js';

/** Import the profile file IT sent (native JSON or strongSwan .sswan). */
export function FirstRun({
  call,
  first,
  allowed,
  onImported,
}: {
  call: Call;
  first: boolean;
  /** IT's policy lets the user add profiles; otherwise only IT's are used. */
  allowed: boolean;
  onImported: (p: ProfileSummary) => void;
}) {
  const [busy, setBusy] = useState(false);

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (file === undefined) return;
    setBusy(true);
    const imported = await call('profiles:import', { name: file.name, content: await file.text() });
    setBusy(false);
    event.target.value = '';
    if (imported !== undefined) onImported(imported.value);
  }

  if (!allowed) {
    return (
      <section aria-labelledby="import-title">
        <h1 id="import-title">No connection profile yet</h1>
        <p>
          Your IT department provides the VPN profiles on this computer, so adding your own is turned off. Ask them to
          set up your connection.
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">{first ? 'Welcome to Outpost' : 'Add a connection profile'}</h1>
      <p>
        Your IT department sent you a connection profile: a file ending in <code>.json</code> or <code>.sswan</code>.
        Choose it below to set up your connection.
      </p>
      <label className="file-picker">
        <span>Choose profile file</span>
        <input type="file" accept=".json,.sswan,application/json" onChange={onFile} disabled={busy} />
      </label>
      {busy && <p aria-live="polite">Importing…</p>}
    </section>
  );
}
