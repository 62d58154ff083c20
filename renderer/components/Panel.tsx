import { type ReactNode, useEffect, useRef } from 'react';

/**
 * A view over the home screen inside the same small window: Back, then the screen with its own heading (styled to
 * sit beside Back). Escape and Back both close it; the heading takes focus on open so a screen reader starts there.
 */
export function Panel({ onClose, children }: { onClose: () => void; children: ReactNode }) {
  const body = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const heading = body.current?.querySelector('h1');
    if (heading === null || heading === undefined) return;
    heading.tabIndex = -1;
    heading.focus();
  }, []);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented) onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="panel" ref={body}>
      <button type="button" className="icon-button back" onClick={onClose} aria-label="Back">
        <svg viewBox="0 0 24 24" aria-hidden="true" className="icon">
          <path d="M15 5l-7 7 7 7" />
        </svg>
      </button>
      {children}
    </div>
  );
}
