import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `vite build renderer` → dist/renderer, loaded by Electron from file:// (hence relative asset URLs).
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, modulePreload: { polyfill: false } },
});
