import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getApi } from './api.js';
import { App } from './App.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
try {
  root.render(
    <StrictMode>
      <App api={getApi()} />
    </StrictMode>,
  );
} catch (err) {
  root.render(<p role="alert">{err instanceof Error ? err.message : String(err)}</p>);
}
