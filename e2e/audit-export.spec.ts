import fs from 'node:fs'
import { E2E } from './e2e-env'
import { asRole, expect, test } from './fixtures'
import { AuditPage } from './pages/audit-page'
import { IntegrityPage } from './pages/integrity-page'
import { MigrationsPage } from './pages/migrations-page'
import { OverviewPage } from './pages/overview-page'
import { Shell } from './pages/shell'
import { cookieHeader } from './raw-http'

const agendaQuery = { schema: 'public', table: 'agenda_item', columns: 'meeting_id', refSchema: 'public', refTable: 'meeting', refColumns: 'id' }

test.describe('audit CSV export', () => {
  asRole('admin')

  test('exports what the page’s filters select, streamed as a file, and the export is audited', async ({ page }) => {
    const audit = new AuditPage(page)
    await audit.goto({ action: 'auth.login' })
    const link = audit.exportLink
    await expect(link).toHaveAttribute('href', '/api/audit/export.csv?action=auth.login')
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/)
    const csv = fs.readFileSync((await download.path())!, 'utf8')
    const lines = csv.split('\r\n').filter(Boolean)
    expect(lines[0]).toBe('id,at,actor,action,target,result,code,message,duration_ms,client_ip,input')
    expect(lines.length).toBeGreaterThan(3)
    for (const line of lines.slice(1)) expect(line.split(',')[3]).toBe('auth.login')
    expect(csv).toContain(E2E.users.admin.email)

    await audit.goto({ action: 'audit.export_csv' })
    const entry = audit.newest()
    await expect(entry).toContainText('Exported the audit log as CSV.')
    await expect(entry).toContainText('action=auth.login')
    await expect(entry).toContainText('127.0.0.1')
  })

  test('others may not export; each refusal is audited', async ({ page, playwright }) => {
    for (const role of ['operator', 'viewer'] as const) {
      const res = await page.request.get('/api/audit/export.csv', { headers: { cookie: cookieHeader(role) } })
      expect(res.status()).toBe(403)
      expect(await res.text()).toBe(`Your role (${role}) may not do this.\n`)
    }
    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseURL, storageState: { cookies: [], origins: [] } })
    expect((await anonymous.get('/api/audit/export.csv')).status()).toBe(401)
    await anonymous.dispose()
    const audit = new AuditPage(page)
    await audit.goto({ action: 'audit.export_csv', result: 'denied' })
    await expect(audit.entriesWith(E2E.users.viewer.email)).not.toHaveCount(0)
    await expect(audit.entriesWith(E2E.users.operator.email)).not.toHaveCount(0)
  })

  test('downloads of table data are audited with who and from where', async ({ page }) => {
    const res = await page.request.get(`/api/integrity/orphans.csv?${new URLSearchParams(agendaQuery)}`, { headers: { cookie: cookieHeader('viewer') } })
    // 404 until a run has checked the relation (integrity.spec runs later): audited either way.
    expect([200, 404]).toContain(res.status())
    const audit = new AuditPage(page)
    await audit.goto({ action: 'integrity.orphans_csv' })
    const entry = audit.newest()
    await expect(entry).toContainText(E2E.users.viewer.email)
    await expect(entry).toContainText('public.agenda_item')
    await expect(entry).toContainText('127.0.0.1')
  })
})

test.describe('which database roles the dashboard uses', () => {
  asRole('viewer')

  test('a banner says the demo connects as a superuser; pages say which role they read and run as', async ({ page }) => {
    const shell = new Shell(page)
    await new OverviewPage(page).goto()
    const banner = shell.connectionWarnings
    await expect(banner).toContainText('DATABASE_URL (monitor, migrator, backup, maintenance, signal):')
    await expect(banner).toContainText('The dashboard connects as postgres, a superuser')
    await expect(shell.connectionWarning('superuser')).toHaveCount(1)
    // Local: no SSL warning.
    await expect(shell.connectionWarning('no_ssl_remote')).toHaveCount(0)
    await expect(shell.targetRole).toHaveText('read as role postgres')

    // What reaches the browser (HTML and the React payload in it) names no connection URL, so no password.
    for (const path of ['/overview', '/migrations', '/integrity', '/schema']) {
      const html = await (await page.request.get(path)).text()
      expect(html, path).not.toMatch(/postgres(ql)?:\/\//)
    }

    await new MigrationsPage(page).goto()
    await expect(shell.roleNote).toHaveText('Migrations and their checks run as role postgres; backups before a run (pg_dump) as role postgres.')
    await new IntegrityPage(page).goto()
    await expect(shell.roleNote).toContainText('Checks read as role postgres; your rules run as role dbadmin_rule_reader')
  })
})
