import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { messageOf } from '../core/errors.js';
import { App } from './App.js';
import { getApi } from './api.js';
import { followSystemTheme } from './theme.js';
import './styles.css';

followSystemTheme(document.documentElement, (query) => window.matchMedia(query));
const root = createRoot(document.getElementById('root')!);
try {
  root.render(
    <StrictMode>
      <App api={getApi()} />
    </StrictMode>,
  );
} catch (err) {
  root.render(<p role="alert">{messageOf(err)}</p>);
}
