import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isWrappedAction } from './action'

const root = path.resolve(import.meta.dirname, '../..')

function findFiles(dir: string, match: (name: string) => boolean): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return findFiles(full, match)
    return match(e.name) ? [full] : []
  })
}

const actionFiles = findFiles(path.join(root, 'app'), (n) => n === 'actions.ts')
// Mutating route handlers: every exported POST/PUT/PATCH/DELETE except next-auth's own.
const routeFiles = findFiles(path.join(root, 'app', 'api'), (n) => n === 'route.ts').filter(
  (f) => !f.includes('[...nextauth]'),
)

describe('every server action goes through the action wrapper', () => {
  it('finds the action files', () => {
    expect(actionFiles.length).toBeGreaterThan(0)
  })

  for (const file of actionFiles) {
    it(path.relative(root, file), async () => {
      const mod = await import(file)
      const exports = Object.entries(mod)
      expect(exports.length).toBeGreaterThan(0)
      for (const [name, value] of exports) {
        expect(isWrappedAction(value), `${name} in ${path.relative(root, file)} is not built with action()`).toBe(true)
      }
    })
  }
})

describe('every mutating route handler goes through the action wrapper', () => {
  for (const file of routeFiles) {
    it(path.relative(root, file), async () => {
      const mod = await import(file)
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        if (method in mod) {
          expect(isWrappedAction(mod[method]), `${method} in ${path.relative(root, file)} is not built with routeAction()`).toBe(
            true,
          )
        }
      }
    })
  }
})
