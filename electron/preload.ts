/**
 * Runs in the sandboxed renderer before the page: puts the typed OutpostApi on `window.outpost` and nothing else.
 * Sandboxed preloads cannot load ES modules or local files, so the build bundles this file and its imports into one
 * CommonJS file (dist/electron/preload.cjs) that only requires 'electron'.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './ipc/preload-api.js';

contextBridge.exposeInMainWorld('outpost', createPreloadApi(ipcRenderer));
