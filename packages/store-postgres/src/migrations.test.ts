// A migration, once shipped, is applied as it was written to every database that lacks it:
// its SQL must never change (a database that has it would not get the change, one that lacks
// it would). A change to the schema is a new migration at the end of MIGRATIONS.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MIGRATIONS } from './_internal/migrations'

describe('PostgreSQL schema migrations', () => {
  it('keep the SQL of every shipped migration byte for byte', () => {
    const shipped = [
      '8144fb50aec692195e8d9119c87f67f0f6cd1833fba0dd4a322f0496c83d5ec3',
      '150719f2c63ec32670ee3c20c1ed023031c6dc6176c7b72af0c6cafd8b3682bd',
      '0ff4a72d1d2d1041556c93b778c0a062995a221ac3c7bc17f3e9bb4f1f5097df',
      '10c6734cac3f7287b45b27960664562079b2866743363dbe1630f64b65e6e80c',
      'efd976ea53c62fb10f278a28c66f7aaa46adf3095e6b8f5fc7a4b4c757ea959e',
    ]
    const hashes = MIGRATIONS.map((sql) => createHash('sha256').update(sql).digest('hex'))
    expect(hashes.slice(0, shipped.length)).toEqual(shipped)
  })
})
