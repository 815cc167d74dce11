import { describe, expect, it } from 'vitest'
import { createRouter } from './router'

describe('createRouter', () => {
  const anywhere = createRouter(undefined, 'open', 'click')
  const prefixed = createRouter('/mail', 'px/o', 'go')

  it('finds the route and the token, with or without a trailing slash, ignoring the query', () => {
    expect(anywhere('/open/e30=')).toEqual({ isOpen: true, token: 'e30=' })
    expect(anywhere('/click/abc/')).toEqual({ isOpen: false, token: 'abc' })
    expect(anywhere('/open/e30=?utm_source=x&y=/z')).toEqual({ isOpen: true, token: 'e30=' })
  })

  it('matches under any path without a prefix, and only under the prefix with one', () => {
    expect(anywhere('/deep/er/open/t')).toEqual({ isOpen: true, token: 't' })
    expect(anywhere('/xopen/t')).toBeNull()
    expect(prefixed('/mail/px/o/t')).toEqual({ isOpen: true, token: 't' })
    expect(prefixed('/mail/go/t')).toEqual({ isOpen: false, token: 't' })
    expect(prefixed('/other/mail/px/o/t')).toBeNull()
    expect(prefixed('/mail/open/t')).toBeNull()
  })

  it('reads absolute-form targets, as sent to proxies', () => {
    expect(anywhere('http://t.example.com/open/e30=')).toEqual({ isOpen: true, token: 'e30=' })
    expect(anywhere('http://t.example.com')).toBeNull()
    expect(anywhere('open/e30=')).toBeNull()
  })

  it('gives null where there is no token or no route', () => {
    for (const target of ['/', '/open', '/open/', '/open//', '/other/e30=', '/open/x/extra', '']) expect(anywhere(target), target).toBeNull()
  })
})
