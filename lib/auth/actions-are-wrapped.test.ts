import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../test/action-harness'
import { listAudit } from '../audit/audit-log'
import { can, ROLES } from './permissions'

const root = path.resolve(import.meta.dirname, '../..')

function findFiles(dir: string, match: (name: string) => boolean): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return findFiles(full, match)
    return match(e.name) ? [full] : []
  })
}

// A page's actions.ts, or its actions split along a seam (alembic-actions.ts).
const actionFiles = findFiles(path.join(root, 'app'), (n) => n === 'actions.ts' || n.endsWith('-actions.ts'))
// Mutating route handlers: every exported POST/PUT/PATCH/DELETE except next-auth's own.
const routeFiles = findFiles(path.join(root, 'app', 'api'), (n) => n === 'route.ts').filter(
  (f) => !f.includes('[...nextauth]'),
)

let h: ActionHarness
let state: ActionHarness['state']
// The action modules are imported after the environment points at the test databases.
let wrapper: typeof import('./action')

beforeAll(async () => {
  h = await openActionHarness('target')
  state = h.state
  wrapper = await import('./action')
})
afterAll(() => h?.close())

async function exportsOf(file: string): Promise<[string, unknown][]> {
  return Object.entries(await import(file))
}

describe('every server action goes through the action wrapper', () => {
  it('finds the action files', () => {
    expect(actionFiles.length).toBeGreaterThan(0)
  })

  for (const file of actionFiles) {
    const rel = path.relative(root, file)
    it(rel, async () => {
      const exports = await exportsOf(file)
      expect(exports.length).toBeGreaterThan(0)
      for (const [name, value] of exports) {
        expect(wrapper.isWrappedAction(value), `${name} in ${rel} is not built with action()`).toBe(true)
      }
    })

    it(`${rel}: each action as every role`, async () => {
      for (const [name, value] of await exportsOf(file)) {
        const spec = wrapper.wrappedSpec(value)!
        for (const role of ROLES) {
          const result = await h.as(role, spec, {})
          const label = `${name} (${spec.permission}) as ${role}: ${result.code} ${result.message}`
          if (can(role, spec.permission)) expect(['forbidden', 'unauthenticated'], label).not.toContain(result.code)
          else expect(result.code, label).toBe('forbidden')
        }
        const denied = await listAudit(state.db, { action: spec.name, result: 'denied' })
        const refusedRoles = ROLES.filter((r) => !can(r, spec.permission))
        expect(denied.map((d) => d.actorEmail).sort()).toEqual(refusedRoles.map((r) => state.users[r].email).sort())
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
          expect(wrapper.isWrappedAction(mod[method]), `${method} in ${path.relative(root, file)} is not built with routeAction()`).toBe(
            true,
          )
        }
      }
    })
  }
})
