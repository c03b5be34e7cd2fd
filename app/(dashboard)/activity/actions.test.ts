import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { AppSessions, waitFor } from '../../../test/app-sessions'
import { listAudit } from '@/lib/audit/audit-log'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { listActivity } from '@/lib/performance/activity'

let h: ActionHarness
let app: AppSessions
let cancel: GuardedSpec<any, any>
let terminate: GuardedSpec<any, any>

beforeAll(async () => {
  h = await openActionHarness('actact')
  app = new AppSessions(h.target.url)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const a = await import('./actions')
  cancel = wrappedSpec(a.cancelSessionAction)!
  terminate = wrappedSpec(a.terminateSessionAction)!
})
afterEach(() => app.closeAll())
afterAll(() => h?.close())

async function activeSleeper() {
  const sleeper = await app.open('dor-app')
  const running = app.start(sleeper, 'select pg_sleep(60)')
  await waitFor(async () => (await listActivity(h.target.db, { longSeconds: 1 })).sessions.find((s) => s.pid === sleeper.pid && s.state === 'active' && s.running === 'long'), 10_000, 'a long-running sleeper')
  return { sleeper, running }
}

const connected = async (pid: number) => (await listActivity(h.target.db)).sessions.some((s) => s.pid === pid)

describe('cancelling and terminating sessions, as every role', () => {
  it('a pg_sleep session is cancelled by an operator, not by a viewer; the session stays', async () => {
    const { sleeper, running } = await activeSleeper()
    expect(await h.as('viewer', cancel, { pid: sleeper.pid })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await h.as('viewer', terminate, { pid: sleeper.pid })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await h.as('operator', cancel, { pid: String(sleeper.pid) })).toMatchObject({ ok: true })
    expect(await running).toMatchObject({ ok: false, code: '57014' })
    expect(await connected(sleeper.pid)).toBe(true)
    const audit = await listAudit(h.state.db, { action: 'sessions.cancel' })
    expect(audit.map((a) => [a.actorEmail, a.result, a.target])).toEqual(
      expect.arrayContaining([
        [h.state.users.viewer.email, 'denied', null],
        [h.state.users.operator.email, 'ok', `pid ${sleeper.pid}`],
      ]),
    )
  })

  it('only an admin terminates; the operator is refused and the session lives on', async () => {
    const { sleeper, running } = await activeSleeper()
    expect(await h.as('operator', terminate, { pid: sleeper.pid })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await connected(sleeper.pid)).toBe(true)
    expect(await h.as('admin', terminate, { pid: sleeper.pid })).toMatchObject({ ok: true, message: expect.stringContaining('terminated') })
    expect((await running).ok).toBe(false)
    await waitFor(async () => !(await connected(sleeper.pid)), 5000, 'the session to end')
    const audit = await listAudit(h.state.db, { action: 'sessions.terminate', result: 'ok' })
    expect(audit[0]).toMatchObject({ actorEmail: h.state.users.admin.email, target: `pid ${sleeper.pid}` })
  })

  it("refuses the dashboard's own connections with the reason, and bad input with a clear error", async () => {
    const own = await app.open('dor-db-admin')
    for (const role of ['admin', 'operator'] as const) {
      expect(await h.as(role, cancel, { pid: own.pid })).toMatchObject({ ok: false, code: 'refused', message: expect.stringContaining("dashboard's own") })
    }
    expect(await h.as('admin', terminate, { pid: own.pid })).toMatchObject({ ok: false, code: 'refused' })
    expect(await connected(own.pid)).toBe(true)
    expect(await h.as('admin', cancel, { pid: 'x' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await h.as('admin', cancel, { pid: 2 ** 31 })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await h.as('admin', cancel, { pid: 999_999 })).toMatchObject({ ok: false, code: 'not_found' })
  })
})
