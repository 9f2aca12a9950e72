import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/**
 * rotki's ui-library pins tailwind-merge 2 while its tailwind-variants wants
 * 3, so npm nests it under the library; point every import at the library's
 * own copy (as the website's build does).
 */
function uiLibraryTailwindMerge(): string {
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('@rotki/ui-library'));
  return dirname(dirname(fromLibrary.resolve('tailwind-merge')));
}

/**
 * The app's UI, built into packages/app/dist/ui and served by the app's own
 * backend on 127.0.0.1. `npm run dev -w @rotki-premium/app` proxies the local
 * API to an app started with `npx rotki-premium-app`.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [vue()],
  resolve: {
    alias: [{ find: /^tailwind-merge$/, replacement: uiLibraryTailwindMerge() }],
  },
  build: {
    outDir: resolve(import.meta.dirname, '../dist/ui'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:4242' },
  },
});
