import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { exportsWithoutExample } from '../../../test-utils/docs'

it('documents every export with a TSDoc @example', () => {
  expect(exportsWithoutExample(fileURLToPath(new URL('./index.ts', import.meta.url)))).toEqual([])
})
