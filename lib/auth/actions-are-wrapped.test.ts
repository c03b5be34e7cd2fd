import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../test/action-harness'
import { serverDirectives, sourceFiles } from '../../test/server-directives'
import { listAudit } from '../audit/audit-log'
import { can, ROLES } from './permissions'

const root = path.resolve(import.meta.dirname, '../..')
const rel = (file: string) => path.relative(root, file)

// Server code can live anywhere in app/ (and in shared components or lib/): read every file's syntax.
const scanned = ['app', 'components', 'lib'].flatMap((d) => sourceFiles(path.join(root, d))).map((file) => ({
  file,
  ...serverDirectives(file, fs.readFileSync(file, 'utf8')),
}))
// 'use server' modules: every export is a server action.
const actionFiles = scanned.filter((f) => f.module).map((f) => f.file)
// Route handlers exporting POST, PUT, PATCH or DELETE, except next-auth's own.
const routeFiles = scanned
  .filter((f) => /^route\.tsx?$/.test(path.basename(f.file)) && f.mutatingExports.length > 0 && !f.file.includes('[...nextauth]'))
  .map((f) => f.file)

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

describe('finding server code', () => {
  it('finds the action modules and the mutating routes', () => {
    expect(actionFiles.map(rel)).toContain('app/(dashboard)/users/actions.ts')
    expect(routeFiles.map(rel)).toContain('app/api/users/route.ts')
  })

  it('no function declares \'use server\' inline: actions live in \'use server\' modules, built with action()', () => {
    const inline = scanned.flatMap((f) => f.inline.map((line) => `${rel(f.file)}:${line}`))
    expect(inline).toEqual([])
  })

  it('tells a module directive from an inline one, and sees every way to export a method', () => {
    const page = `import { db } from './db'
export default function Page() {
  async function create(form: FormData) {
    'use server'
    await db.insert(form)
  }
  const remove = async () => { "use server"; }
  return <form action={create} />
}`
    expect(serverDirectives('page.tsx', page)).toEqual({ module: false, inline: [3, 7], mutatingExports: [] })
    expect(serverDirectives('actions.ts', `// why\n'use strict'\n'use server'\nexport const a = 1`)).toMatchObject({ module: true, inline: [] })
    expect(serverDirectives('x.ts', `const s = 'use server'\nexport {}`).module).toBe(false)
    const route = `export async function POST() {}\nexport const PUT = wrap()\nconst h = 1\nexport { h as DELETE, h as GET }`
    expect(serverDirectives('route.ts', route).mutatingExports.sort()).toEqual(['DELETE', 'POST', 'PUT'])
  })
})

describe('every server action goes through the action wrapper', () => {
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
        if (scanned.find((f) => f.file === file)!.mutatingExports.includes(method) || method in mod) {
          expect(wrapper.isWrappedAction(mod[method]), `${method} in ${path.relative(root, file)} is not built with routeAction()`).toBe(
            true,
          )
        }
      }
    })
  }
})
