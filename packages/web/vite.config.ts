import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/**
 * rotki's ui-library pins tailwind-merge 2 while its tailwind-variants wants
 * 3 (an optional peer), so npm nests tailwind-merge under the library where
 * tailwind-variants cannot find it. Point every import at the library's own
 * copy: the class merging then matches what the library was built with.
 */
function uiLibraryTailwindMerge(): string {
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('@rotki/ui-library'));
  return dirname(dirname(fromLibrary.resolve('tailwind-merge')));
}

/**
 * The built pages are served by the rotki premium server under a strict
 * Content-Security-Policy: no inline script, so nothing may be inlined into
 * index.html. `npm run dev -w @rotki-premium/web` proxies the API to a server
 * started with `npm start`.
 */
export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: [{ find: /^tailwind-merge$/, replacement: uiLibraryTailwindMerge() }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      '/webapi': 'http://127.0.0.1:4243',
    },
  },
});
