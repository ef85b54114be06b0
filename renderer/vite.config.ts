// Builds the renderer into dist/renderer. base './' makes every asset URL relative, so the same
// build loads from file:// in Electron and from '/' on the homeserver.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte({ configFile: false })],
  // The Rust crypto finds its .wasm via new URL(..., import.meta.url); pre-bundling would break that path in dev.
  optimizeDeps: { exclude: ['@matrix-org/matrix-sdk-crypto-wasm'] },
  build: {
    outDir: path.join(here, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    target: 'es2022',
    // Element-sized SDK: one chunk is fine for a LAN app; silence the 500 kB warning.
    chunkSizeWarningLimit: 2000,
  },
});
