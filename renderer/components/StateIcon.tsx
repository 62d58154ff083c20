import type { HomeState } from '../connection-view.js';

/** A shield: ticked when protected, open when not, an arc turning while on the way, an exclamation mark on error. */
export function StateIcon({ state }: { state: HomeState }) {
  return (
    <svg viewBox="0 0 64 64" aria-hidden="true" className={`state-icon state-icon-${state}`}>
      <path className="shield" d="M32 6l22 8v16c0 14-9.5 24-22 28C19.5 54 10 44 10 30V14z" />
      {state === 'connected' && <path className="mark" d="M21 32l8 8 15-16" />}
      {state === 'disconnected' && <path className="mark" d="M24 32h16" />}
      {state === 'error' && <path className="mark" d="M32 20v15M32 42v2" />}
      {(state === 'connecting' || state === 'reconnecting') && (
        <path className="mark spin" d="M32 20a12 12 0 1 1-12 12" />
      )}
    </svg>
  );
}
