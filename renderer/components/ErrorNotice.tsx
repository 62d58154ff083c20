import type { UiError } from '../../electron/ipc/schema.js';

/** The worker reads the sentence; IT opens the details for the code and detail main attached. */
export function ErrorNotice({ error, onDismiss }: { error: UiError; onDismiss: () => void }) {
  return (
    <div className="error" role="alert">
      <p className="error-message">{error.message}</p>
      <details>
        <summary>Details for IT</summary>
        <dl>
          <dt>Code</dt>
          <dd>
            <code>{error.code}</code>
          </dd>
          {error.detail !== undefined && (
            <>
              <dt>Detail</dt>
              <dd>
                <code>{error.detail}</code>
              </dd>
            </>
          )}
        </dl>
      </details>
      <button type="button" className="link" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
