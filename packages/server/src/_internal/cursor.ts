import { InvalidArgumentError } from '@pytrack/core'

// Cursors are opaque to clients (base64url of the last id) so a store may change what they hold.
export function encodeCursor(id: number): string {
  return Buffer.from(`i${id}`, 'latin1').toString('base64url')
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0
  if (typeof cursor !== 'string' || cursor.length > 40 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidArgumentError('cursor is not one this server gave: pass back nextCursor unchanged')
  }
  const text = Buffer.from(cursor, 'base64url').toString('latin1')
  const match = /^i(\d{1,15})$/.exec(text)
  if (!match) throw new InvalidArgumentError('cursor is not one this server gave: pass back nextCursor unchanged')
  return Number(match[1])
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 100
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidArgumentError(`limit must be a whole number from 1 to 1000; got ${typeof limit === 'number' ? String(limit) : typeof limit}`)
  }
  return limit
}

const GROUP_KEY = /^[A-Za-z0-9_\-.:]{1,64}$/

export function groupKey(groupBy: string | undefined): string | undefined {
  if (groupBy !== undefined && (typeof groupBy !== 'string' || !GROUP_KEY.test(groupBy))) {
    throw new InvalidArgumentError('groupBy must be a top-level metadata key of 1 to 64 letters, digits or _-.:')
  }
  return groupBy
}
