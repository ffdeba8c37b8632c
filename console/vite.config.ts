// The console's build: a static SPA under /console/ (the local stack and CloudFront serve it there), with a
// manifest so a check can weigh the initial JavaScript. JSX goes through Vite's own transformer (oxc): no
// React plugin is needed without fast refresh.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // The page modules are split by React.lazy; uPlot goes with the pages that draw charts.
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      // React Query's "use client" markers mean nothing outside server components.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
