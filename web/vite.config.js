import { defineConfig } from 'vite';

// Built into web/dist and served by `doorstep serve --static web/dist`.
// base './' keeps every URL relative, so the UI works under any path.
// assetsInlineLimit 0: no data: URLs (the server's CSP allows only 'self').
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
