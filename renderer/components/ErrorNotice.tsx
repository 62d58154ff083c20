import { useEffect, useRef } from 'react';
import type { UiError } from '../../electron/ipc/schema.js';

/** The worker reads the sentence; IT opens the details for the code and detail main attached. */
export function ErrorNotice({ error, onDismiss }: { error: UiError; onDismiss: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  // the window is small: a new error below the fold is brought into view
  // biome-ignore lint/correctness/useExhaustiveDependencies: each new error, not only the first, is scrolled to
  useEffect(() => {
    // braces: newer Chromium returns a promise here, which React would take for a cleanup function
    box.current?.scrollIntoView({ block: 'nearest' });
  }, [error]);
  return (
    <div className="error" role="alert" ref={box}>
      <p className="error-message">{error.message}</p>
      <div className="error-actions">
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
    </div>
  );
}
