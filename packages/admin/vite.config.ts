import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** The same tailwind-merge pinning as the website (see packages/web/vite.config.ts). */
function uiLibraryTailwindMerge(): string {
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('@rotki/ui-library'));
  return dirname(dirname(fromLibrary.resolve('tailwind-merge')));
}

/**
 * The operator console, served by the server under /admin with its own strict
 * Content-Security-Policy: nothing inlined into index.html.
 */
export default defineConfig({
  base: '/admin/',
  plugins: [vue()],
  resolve: { alias: [{ find: /^tailwind-merge$/, replacement: uiLibraryTailwindMerge() }] },
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/admin/api': 'http://127.0.0.1:4243' } },
});
