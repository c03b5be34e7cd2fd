import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensurePrivateDir, openPrivateFile } from './private-files'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'private-'))
let umask: number
beforeEach(() => {
  // The widest umask: the modes must not depend on it.
  umask = process.umask(0)
})
afterEach(() => {
  process.umask(umask)
})
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const mode = (p: string) => fs.statSync(p).mode & 0o777

describe('private files', () => {
  it('creates the directory 0700 and tightens one that was wider', () => {
    const fresh = path.join(root, 'a', 'backups')
    ensurePrivateDir(fresh)
    expect(mode(fresh)).toBe(0o700)
    const wide = path.join(root, 'wide')
    fs.mkdirSync(wide, { mode: 0o755 })
    expect(mode(wide)).toBe(0o755)
    ensurePrivateDir(wide)
    expect(mode(wide)).toBe(0o700)
  })

  it('opens files 0600, including one that existed world-readable', () => {
    const file = path.join(root, 'wide', 'dump.dump')
    fs.writeFileSync(file, 'old', { mode: 0o644 })
    fs.closeSync(openPrivateFile(file, 'w'))
    expect(mode(file)).toBe(0o600)
    const fresh = path.join(root, 'new', 'rows.jsonl')
    fs.closeSync(openPrivateFile(fresh))
    expect(mode(fresh)).toBe(0o600)
    expect(mode(path.dirname(fresh))).toBe(0o700)
    expect(() => openPrivateFile(fresh)).toThrow(/EEXIST/)
  })
})
