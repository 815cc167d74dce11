import { defineConfig, type UserConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base'

const dashboard: UserConfig = defineConfig({
  // The dashboard: one script and one stylesheet (uPlot bundled in), served from dist/dashboard.
  entry: { app: 'dashboard/main.ts' },
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  outDir: 'dist/dashboard',
  outputOptions: { entryFileNames: 'app.js' },
  minify: true,
  dts: false,
  clean: true,
  sourcemap: false,
  deps: { alwaysBundle: ['uplot'] },
  css: { fileName: 'app.css', minify: true },
  copy: [{ from: 'dashboard/index.html', to: 'dist/dashboard' }],
  tsconfig: '../../tsconfig.base.json',
}) as UserConfig

// ESM only: a server, its CLI, the adapt worker thread it starts (dist/adapt-worker.mjs); and the dashboard it serves.
// The two builds run side by side: the server's cleans all of dist but the dashboard's folder.
export default [packageBuild(['src/index.ts', 'src/store-kit.ts', 'src/cli.ts', 'src/adapt-worker.ts'], { format: ['esm'], clean: ['dist/*', '!dist/dashboard'] }), dashboard]
