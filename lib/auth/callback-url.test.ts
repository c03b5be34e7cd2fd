import { describe, expect, it } from 'vitest'
import { safeCallbackPath } from './callback-url'

describe('safeCallbackPath', () => {
  it('keeps paths of this dashboard with their query and fragment', () => {
    expect(safeCallbackPath('/schema/table?schema=public&table=user#cols')).toBe('/schema/table?schema=public&table=user#cols')
    expect(safeCallbackPath('/integrity')).toBe('/integrity')
    expect(safeCallbackPath('integrity')).toBe('/integrity')
  })

  it.each([
    '/\\evil.example/x',
    '/\t/evil.example/y',
    '\t//evil.example',
    '//evil.example/z',
    '/\\/evil.example',
    'https://evil.example/',
    'http://dashboard.invalid.evil.example/',
    'javascript:alert(1)',
    '/.//evil.example/w',
    '/%2e//evil.example',
    '\\\\evil.example',
  ])('refuses %j', (raw) => {
    const path = safeCallbackPath(raw)
    expect(path).not.toMatch(/^\/\//)
    expect(new URL(path, 'http://localhost:3000').origin).toBe('http://localhost:3000')
    expect(path).not.toContain('evil')
  })

  it('falls back to the overview when there is nothing usable', () => {
    expect(safeCallbackPath(undefined)).toBe('/overview')
    expect(safeCallbackPath('')).toBe('/overview')
    expect(safeCallbackPath('https://evil.example/')).toBe('/overview')
  })
})
