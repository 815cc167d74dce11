import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ["src/index.ts"],
  format: ['esm', 'cjs'],
  dts: true,
  fixedExtension: true,
  clean: true,
  sourcemap: true,
  tsconfig: '../../tsconfig.base.json',
})
