import { describe, expect, it } from 'vitest'
import { redactUrls } from './redact-urls'

describe('redactUrls', () => {
  it('replaces every postgres:// and postgresql:// URL, password and all', () => {
    const text = 'connect postgres://admin:s3cret@db.example.org:5432/dor?sslmode=require failed; also postgresql://u:p%40ss@h/d'
    const out = redactUrls(text)
    expect(out).toBe('connect [url] failed; also [url]')
    expect(out).not.toMatch(/s3cret|p%40ss/)
  })

  it('stops at a quote or a blank, keeping the words around the URL', () => {
    expect(redactUrls(`pg_dump: error: connection to "postgres://a:b@h/d" failed`)).toBe('pg_dump: error: connection to "[url]" failed')
    expect(redactUrls("url='postgresql://a:b@h/d' next")).toBe("url='[url]' next")
  })

  it('takes the replacement text, and leaves text without a URL alone', () => {
    expect(redactUrls('at postgres://a:b@h/d', '[connection string]')).toBe('at [connection string]')
    expect(redactUrls('relation "postgres" does not exist')).toBe('relation "postgres" does not exist')
  })
})
