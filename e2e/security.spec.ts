import fs from 'node:fs'
import path from 'node:path'
import type { Page } from '@playwright/test'
import { apiSignIn } from './api-sign-in'
import { E2E, storageStatePath } from './e2e-env'
import { withStateDb } from './e2e-state-db'
import { asRole, expect, test } from './fixtures'
import { AuditPage } from './pages/audit-page'
import { BackupsPage } from './pages/backups-page'
import { IntegrityPage } from './pages/integrity-page'
import { OverviewPage } from './pages/overview-page'
import { Shell } from './pages/shell'
import { TablesPage } from './pages/tables-page'
import { UsersPage } from './pages/users-page'
import { answerBeforeBody, cookieHeader, serveOtherOrigin, viaAddress } from './raw-http'

async function expectNoUser(page: Page, ...emails: string[]) {
  const users = new UsersPage(page)
  await users.goto()
  await expect(users.users.root).toBeVisible()
  for (const email of emails) await expect(users.row(email)).toHaveCount(0)
}

test.describe('cross-site requests', () => {
  asRole('admin')

  test('POST /api/users refuses a foreign Origin, Referer or Sec-Fetch-Site and any body but JSON', async ({ page }) => {
    const body = (email: string) => JSON.stringify({ email, role: 'admin', password: 'cross-site-password' })
    const refused: [Record<string, string>, number, string][] = [
      [{ origin: 'https://evil.example', 'content-type': 'text/plain' }, 403, 'cross_site'],
      [{ origin: 'http://localhost:1', 'content-type': 'application/json' }, 403, 'cross_site'],
      [{ origin: 'null', 'content-type': 'application/json' }, 403, 'cross_site'],
      [{ referer: 'https://evil.example/page', 'content-type': 'application/json' }, 403, 'cross_site'],
      [{ 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, 403, 'cross_site'],
      [{ origin: E2E.baseURL, 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ]
    const emails: string[] = []
    for (const [i, [headers, status, code]] of refused.entries()) {
      const email = `cross-site-${i}@e2e.local`
      emails.push(email)
      const res = await page.request.post('/api/users', { headers, data: body(email) })
      expect(res.status(), JSON.stringify(headers)).toBe(status)
      expect(await res.json()).toMatchObject({ ok: false, code })
    }
    await expectNoUser(page, ...emails)

    // The dashboard's own origin and scripts without one are served.
    const own = await page.request.post('/api/users', {
      headers: { origin: E2E.baseURL, 'content-type': 'application/json' },
      data: JSON.stringify({ email: 'same-origin@e2e.local', role: 'viewer', password: 'same-origin-password' }),
    })
    expect(own.status()).toBe(200)
  })

  test('a form on another port of the same host cannot create an admin with the admin’s cookie', async ({ page, browser }) => {
    const email = 'csrf-admin@e2e.local'
    // A text/plain form whose one field spells a JSON body: what an attacker's page can send.
    const name = `{"email":"${email}","role":"admin","password":"csrf-admin-password","x":"`
    const other = await serveOtherOrigin(`<!doctype html><title>Win a prize</title>
      <form method="POST" action="${E2E.baseURL}/api/users" enctype="text/plain">
        <input type="hidden" name='${name}' value='"}'><button>Claim</button>
      </form>`)
    const victim = await browser.newContext({ storageState: storageStatePath('admin') })
    try {
      const attackerPage = await victim.newPage()
      await attackerPage.goto(other.origin)
      const [response] = await Promise.all([
        attackerPage.waitForResponse((r) => r.url() === `${E2E.baseURL}/api/users`),
        attackerPage.getByRole('button', { name: 'Claim' }).click(),
      ])
      // The browser did send the admin's cookie (same site): the server refused the request.
      expect(response.request().headers().cookie ?? (await response.request().allHeaders()).cookie).toContain('next-auth.session-token')
      expect(response.status()).toBe(403)
      expect(await response.json()).toMatchObject({ ok: false, code: 'cross_site' })
    } finally {
      await victim.close()
      await other.close()
    }
    await expectNoUser(page, email)
    // Audited as refused, naming whose cookie the other site used.
    const audit = new AuditPage(page)
    await audit.goto({ action: 'users.create', result: 'denied' })
    const entry = audit.entries.first()
    await expect(entry).toContainText('This request came from another site and was refused.')
    await expect(entry).toContainText(E2E.users.admin.email)
  })

  test('server actions refuse a foreign Origin too', async ({ page }) => {
    // Capture the Users page's own create-user action request, without letting it through.
    await new UsersPage(page).goto()
    let captured: { headers: Record<string, string>; body: Buffer } | null = null
    await page.route('**/users', async (route) => {
      const request = route.request()
      if (request.method() === 'POST' && (await request.headerValue('next-action'))) {
        captured = { headers: await request.allHeaders(), body: request.postDataBuffer()! }
        await route.abort()
      } else {
        await route.continue()
      }
    })
    // A viewer: the replay from the dashboard's own origin really creates it, and users.spec needs one admin.
    await new UsersPage(page).fillCreate('action-replay@e2e.local', 'viewer', 'action-replay-password')
    await expect.poll(() => captured).not.toBeNull()
    await page.unroute('**/users')
    const { headers, body } = captured!
    const replay = (origin: string) =>
      page.request.post('/users', {
        headers: { 'next-action': headers['next-action'], 'content-type': headers['content-type'], accept: 'text/x-component', origin },
        data: body,
      })

    const forged = await replay('https://evil.example')
    expect(forged.status()).toBeGreaterThanOrEqual(400)
    await expectNoUser(page, 'action-replay@e2e.local')
    // The same request from the dashboard's own origin goes through: the replay itself works.
    expect((await replay(E2E.baseURL)).status()).toBe(200)
    const users = new UsersPage(page)
    await users.goto()
    await expect(users.row('action-replay@e2e.local')).toBeVisible()
  })
})

test.describe('request bodies', () => {
  test('without a session a huge body is not read: the answer comes at once', async () => {
    expect(await answerBeforeBody({ path: '/api/users', declaredBytes: 64 * 1024 * 1024, headers: { 'content-type': 'application/json' } })).toBe(401)
    expect(await answerBeforeBody({ path: '/api/users', headers: { 'content-type': 'application/json' } })).toBe(401)
  })

  test('the sign-in endpoints, open to anyone, do not read a huge body either', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    for (const path of ['/api/auth/callback/credentials', '/api/auth/callback/two-factor', '/api/auth/signout']) {
      expect(await answerBeforeBody({ path, declaredBytes: 64 * 1024 * 1024, headers: form }), path).toBe(413)
      expect(await answerBeforeBody({ path, headers: form }), path).toBe(413)
    }
  })

  test('with a session a body over 1 MB is refused, declared or streamed', async () => {
    const headers = { 'content-type': 'application/json', cookie: cookieHeader('admin') }
    expect(await answerBeforeBody({ path: '/api/users', declaredBytes: 64 * 1024 * 1024, headers })).toBe(413)
    expect(await answerBeforeBody({ path: '/api/users', headers })).toBe(413)
  })

  test('a 900 KB input of 40,000 keys is refused and takes at most 8 KB of the audit log', async ({ request }) => {
    const keys = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 'v'.repeat(10)]))
    const body = JSON.stringify({ email: 'many-keys@e2e.local', role: 'nobody', ...keys })
    expect(body.length).toBeGreaterThan(800_000)
    const res = await request.post('/api/users', { headers: { cookie: cookieHeader('admin'), 'content-type': 'application/json' }, data: body })
    expect(res.status()).toBe(400)
    // The newest refused users.create is this one; its input summary is the row's title.
    const audit = await request.get('/audit?action=users.create&result=invalid', { headers: { cookie: cookieHeader('admin') } })
    const html = await audit.text()
    const title = /<span title="([^"]*)"/.exec(html)?.[1]
    expect(title, 'the refused input is listed with its summary').toBeDefined()
    expect(title!.replace(/&quot;/g, '"').length).toBeLessThanOrEqual(8192)
    expect(title).toMatch(/&quot;…&quot;:&quot;\d+ more keys&quot;/)
    // Without the cap the input made this page as big as the input.
    expect(html.length).toBeLessThan(200_000)
  })
})

test.describe('client addresses', () => {
  test('X-Forwarded-For is not believed without TRUST_PROXY: not in the audit log, not to escape the address limit', async ({ playwright, request }) => {
    const from = await viaAddress('127.0.0.4')
    const api = await playwright.request.newContext({ baseURL: from.baseURL })
    try {
      // 20 failures from one address, each claiming another: the 21st attempt is still refused.
      for (let i = 0; i < 20; i++) {
        expect(await apiSignIn(api, `probe-${i}@e2e.local`, 'guessed-password', { 'x-forwarded-for': `203.0.113.${i + 1}` })).toBe('Wrong e-mail or password.')
      }
      expect(await apiSignIn(api, E2E.users.viewer.email, E2E.users.viewer.password, { 'x-forwarded-for': '198.51.100.99' })).toBe(
        'Too many failed logins. Try again in 15 minutes.',
      )
    } finally {
      await api.dispose()
      await from.close()
    }
    const audit = await request.get(`/audit?action=auth.login&q=probe-7%40e2e.local`, { headers: { cookie: cookieHeader('admin') } })
    const html = await audit.text()
    expect(html).toContain('probe-7@e2e.local')
    expect(html).toContain('127.0.0.4')
    expect(html).not.toContain('203.0.113.')
  })
})

test.describe('content security policy', () => {
  asRole('admin')

  test('pages allow scripts only with this response’s nonce, and an injected inline script does not run', async ({ page }) => {
    for (const url of ['/overview', '/login']) {
      const res = await page.request.get(url)
      const csp = res.headers()['content-security-policy']
      const script = csp.split(';').find((d) => d.trim().startsWith('script-src'))!
      expect(script).not.toContain('unsafe-inline')
      const nonce = /'nonce-([^']+)'/.exec(script)![1]
      const html = await res.text()
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
      expect(scripts.length).toBeGreaterThan(0)
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`)
      // A fresh nonce per response.
      const again = (await page.request.get(url)).headers()['content-security-policy']
      expect(again).not.toContain(nonce)
    }

    const shell = new Shell(page)
    await new OverviewPage(page).goto()
    await expect(shell.userMenu).toBeVisible()
    // Markup injected into the page (the XSS case) carrying an inline handler: blocked and reported.
    const ran = await page.evaluate(async () => {
      const blocked = new Promise<string>((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective)))
      document.body.insertAdjacentHTML('beforeend', '<img src="/no-such-image" onerror="window.__injected = true">')
      const directive = await Promise.race([blocked, new Promise<string>((resolve) => setTimeout(() => resolve('none'), 3000))])
      return { injected: (window as unknown as { __injected?: boolean }).__injected === true, directive }
    })
    expect(ran).toEqual({ injected: false, directive: expect.stringMatching(/^script-src/) })
    // The page's own scripts ran: it is interactive (the sign-out button works through React).
    await expect(shell.signOutButton).toBeEnabled()
    expect((await page.request.get('/api/health')).headers()['content-security-policy']).toContain("default-src 'none'")
  })
})

test.describe('errors that quote row values', () => {
  const SECRET = 'SECRET-TOKEN-ABC123'
  let jobId: number

  test.beforeAll(async () => {
    // What a restore that met a changed column type leaves behind (lib/integrity/fix-job.ts).
    jobId = await withStateDb(async (db) => {
      const { rows } = await db.query<{ id: string }>(
        // The demo target lives in the same embedded cluster as the state database: same system identifier.
        `insert into integrity_fix (target_database, target_key, kind, schema, "table", columns, ref_schema, ref_table, ref_columns, mode, file,
           status, started_by, finished_at, error)
         values ('dor', (select system_identifier::text from pg_control_system()) || '/dor', 'restore', 'public', 'fileupload', '{agenda_item_id}', 'public', 'agenda_item', '{id}', 'set_null',
           '/nonexistent/integrity-fix.jsonl', 'failed', 'admin@e2e.local', now(), $1)
         returning id`,
        [`invalid input syntax for type integer: "${SECRET}"`],
      )
      return Number(rows[0].id)
    })
  })
  test.afterAll(async () => {
    await withStateDb(async (db) => {
      await db.query('delete from integrity_fix where id = $1', [jobId])
      await db.query('delete from job where id = $1', [restoreJobId])
      await db.query('delete from backup where id = $1', [backupId])
      await db.query('delete from maintenance_job where id = $1', [maintenanceId])
    })
  })

  // What a restore (pg_restore's stderr) and a restore drill leave when they meet a changed column type.
  const restoreError = `pg_restore exited with code 1:\npg_restore: error: COPY failed for table "user": ERROR:  invalid input syntax for type integer: "${SECRET}"\nCONTEXT:  COPY user, line 1, column password: "${SECRET}"`
  let restoreJobId: number
  let backupId: string
  let maintenanceId: number
  test.beforeAll(async () => {
    ;[restoreJobId, backupId] = await withStateDb(async (db) => {
      const key = `(select system_identifier::text from pg_control_system()) || '/dor'`
      const job = await db.query<{ id: string }>(
        `insert into job (kind, queue, target_key, target_database, subject, state, trigger, started_by, finished_at, error)
         values ('backup.restore', 'backup-restore', ${key}, 'dor', 'Restore into dor', 'failed', 'manual', 'admin@e2e.local', now(), $1)
         returning id`,
        [restoreError],
      )
      const backup = await db.query<{ id: string }>(
        `insert into backup (target_key, target_database, kind, format, origin, file, status, created_by, started_at, finished_at,
           verified_at, verify_kind, verify_ok, verify_error)
         values (${key}, 'dor', 'full', 'custom', 'manual', 'e2e-security-drill.dump', 'succeeded', 'e2e security', now(), now(),
           now(), 'drill', false, $1)
         returning id`,
        ['The drill failed: ' + restoreError],
      )
      // An ANALYZE whose expression index casts a row's text: the first line of its error is all a maintenance job keeps.
      const maintenance = await db.query<{ id: string }>(
        `insert into maintenance_job (target_key, target_database, kind, task, table_key, statement, status, started_by, finished_at, error)
         values (${key}, 'dor', 'analyze', '{"kind":"analyze","schema":"public","table":"meeting"}', 'public.meeting', 'ANALYZE public.meeting',
           'failed', 'operator@e2e.local', now(), $1)
         returning id`,
        [`invalid input syntax for type integer: "${SECRET}"`],
      )
      maintenanceId = Number(maintenance.rows[0].id)
      return [Number(job.rows[0].id), backup.rows[0].id] as const
    })
  })

  for (const role of ['viewer', 'operator'] as const) {
    test.describe(role, () => {
      asRole(role)
      test('sees the error without the value', async ({ page }) => {
        const integrity = new IntegrityPage(page)
        await integrity.goto()
        const job = integrity.fixJobs.row('job-id', jobId)
        await expect(job).toContainText('invalid input syntax for type integer: "…"')
        expect(await page.content()).not.toContain(SECRET)
      })

      test('sees backup job and drill errors without the value', async ({ page }) => {
        const backups = new BackupsPage(page)
        await backups.goto()
        await expect(backups.work.row('job', restoreJobId)).toContainText('invalid input syntax for type integer: "…"')
        await expect(backups.backups.row('id', backupId)).toContainText('invalid input syntax for type integer: "…"')
        expect(await page.content()).not.toContain(SECRET)
      })

      test('sees maintenance errors without the value', async ({ page }) => {
        const tables = new TablesPage(page)
        await tables.goto()
        await expect(tables.jobs.row('job', maintenanceId)).toContainText('invalid input syntax for type integer: "…"')
        expect(await page.content()).not.toContain(SECRET)
        expect(await (await page.request.get('/api/performance/maintenance')).text()).not.toContain(SECRET)
      })
    })
  }

  test.describe('admin', () => {
    asRole('admin')
    test('sees the whole error', async ({ page }) => {
      const integrity = new IntegrityPage(page)
      await integrity.goto()
      await expect(integrity.fixJobs.row('job-id', jobId)).toContainText(`"${SECRET}"`)
    })

    test('sees backup job and drill errors whole', async ({ page }) => {
      const backups = new BackupsPage(page)
      await backups.goto()
      await expect(backups.work.row('job', restoreJobId)).toContainText(`"${SECRET}"`)
      await expect(backups.backups.row('id', backupId)).toContainText(`"${SECRET}"`)
    })

    test('sees maintenance errors whole', async ({ page }) => {
      const tables = new TablesPage(page)
      await tables.goto()
      await expect(tables.jobs.row('job', maintenanceId)).toContainText(`"${SECRET}"`)
    })
  })
})

test.describe('files holding data', () => {
  test('saved rows, manifests and dumps are 0600 in a 0700 directory', async () => {
    const dir = path.join(E2E.dataDir, 'backups')
    // integrity.spec's fix saved rows here earlier in the run.
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : []
    expect(files.length, `${dir} has no files: run the whole suite (integrity.spec writes them)`).toBeGreaterThan(0)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600)
  })
})
