import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// A sandboxed preload cannot load ES modules or other files: one CommonJS bundle, `electron` left to the runtime.
export default defineConfig({
  build: {
    outDir: fileURLToPath(new URL('../dist/electron', import.meta.url)),
    emptyOutDir: false,
    minify: false,
    lib: {
      entry: fileURLToPath(new URL('./preload.ts', import.meta.url)),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
