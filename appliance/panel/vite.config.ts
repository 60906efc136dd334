// The panel's build: one bundle of JS and one of CSS under dist/assets, no inline script or style (the API
// server's Content-Security-Policy is `default-src 'self'`), no CDN. JSX through esbuild's automatic runtime.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Vite's module-preload polyfill would be bundled anyway; keep the HTML free of anything inline.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
});
