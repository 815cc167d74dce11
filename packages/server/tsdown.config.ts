import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  fixedExtension: true,
  clean: true,
  sourcemap: true,
  tsconfig: '../../tsconfig.base.json',
})
