import { describe, expect, it } from 'vitest'
import { csvField, csvLine } from './csv'

describe('csvField', () => {
  it('quotes only what needs it and doubles quotes (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField(null)).toBe('')
    expect(csvField('')).toBe('')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvLine(['1', null, 'x,y'])).toBe('1,,"x,y"\r\n')
  })

  it('turns every value a spreadsheet would run as a formula into text', () => {
    expect(csvField('=HYPERLINK("https://evil.example","click")')).toBe(`"'=HYPERLINK(""https://evil.example"",""click"")"`)
    expect(csvField('+cmd|/C calc!A0')).toBe("'+cmd|/C calc!A0")
    expect(csvField('-2+3+cmd|x')).toBe("'-2+3+cmd|x")
    expect(csvField('@SUM(A1:A2)')).toBe("'@SUM(A1:A2)")
    expect(csvField('\t=1+1')).toBe("'\t=1+1")
    expect(csvField('\r=1+1')).toBe(`"'\r=1+1"`)
    expect(csvLine(['=1+1', 'ok'])).toBe("'=1+1,ok\r\n")
  })

  it('leaves numbers, including negative ones, and text that merely contains = as they are', () => {
    for (const n of ['-5', '+7', '-0.25', '1e-3', '-1.5E+10', '42']) expect(csvField(n)).toBe(n)
    expect(csvField('a=b')).toBe('a=b')
    expect(csvField('x-y@z')).toBe('x-y@z')
  })
})
