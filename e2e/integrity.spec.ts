import pg from 'pg'
import { e2eDatabaseUrl } from './e2e-db'
import { E2E } from './e2e-env'
import { asRole, expect, test } from './fixtures'
import { field, IntegrityPage } from './pages/integrity-page'
import { RelationOrphansPage } from './pages/relation-orphans-page'
import { Shell } from './pages/shell'

// The demo's planted problems (lib/demo/seed-demo.ts).
const AGENDA = 'public.agenda_item(meeting_id) → public.meeting(id)'
const UPLOADS = 'public.fileupload(agenda_item_id) → public.agenda_item(id)'
const agendaQuery = { schema: 'public', table: 'agenda_item', columns: 'meeting_id', refSchema: 'public', refTable: 'meeting', refColumns: 'id' }
const uploadsQuery = { schema: 'public', table: 'fileupload', columns: 'agenda_item_id', refSchema: 'public', refTable: 'agenda_item', refColumns: 'id' }

const csvUrl = (q: Record<string, string>) => `/api/integrity/orphans.csv?${new URLSearchParams(q)}`
const dataLines = (csv: string) => csv.split('\r\n').filter(Boolean).slice(1)

test.describe('integrity as operator', () => {
  asRole('operator')

  test('runs all checks and finds the demo’s orphans, enum values and NOT VALID foreign key', async ({ page }) => {
    test.setTimeout(180_000)
    const integrity = new IntegrityPage(page)
    await integrity.runAllChecks()

    const agenda = integrity.relationRow(AGENDA)
    await expect(integrity.count(agenda)).toHaveText('25')
    await expect(integrity.source(agenda)).toHaveText('soft')
    const uploads = integrity.relationRow(UPLOADS)
    await expect(integrity.count(uploads)).toHaveText('15')
    await expect(integrity.source(uploads)).toHaveText('soft')
    // A soft relation's advice carries the foreign key that would enforce it, quoted as PostgreSQL would.
    await expect(integrity.adviceSql(agenda)).toContainText(
      'ALTER TABLE public.agenda_item ADD CONSTRAINT agenda_item_meeting_id_fkey FOREIGN KEY (meeting_id) REFERENCES public.meeting (id) NOT VALID;',
    )
    // Operators run checks but do not fix data.
    await expect(integrity.fixLinks).toHaveCount(0)

    const role = integrity.finding('enums', 'enum_values', 'user.role used as enum')
    await expect(integrity.values(role)).toContainText('student')
    await expect(integrity.values(role)).toContainText('faculty')

    const fk = integrity.finding('constraints', 'not_valid_foreign_key', 'meeting_attendee_user_id_fkey')
    await expect(integrity.count(fk)).toHaveText('4')
    await expect(integrity.adviceSql(fk)).toHaveText('ALTER TABLE public.meeting_attendee VALIDATE CONSTRAINT meeting_attendee_user_id_fkey;')
    await expect(integrity.roleChart).toBeVisible()

    const res = await page.request.get(csvUrl(agendaQuery))
    expect(res.status()).toBe(200)
    expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers()['content-disposition']).toContain('attachment; filename=')
    const csv = await res.text()
    expect(csv.split('\r\n')[0]).toBe('id,meeting_id')
    expect(dataLines(csv)).toHaveLength(25)
  })
})

test.describe('integrity progress as operator', () => {
  asRole('operator')

  test('a run’s progress advances on the page without a reload, and its findings appear when it ends', async ({ page }) => {
    test.setTimeout(180_000)
    const integrity = new IntegrityPage(page)
    const polls: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/api/integrity/progress')) polls.push(r.url())
    })
    // A lock on meeting holds the run at the first check that reads it, so its progress can be seen standing still.
    const locker = new pg.Client({ connectionString: e2eDatabaseUrl('dor') })
    await locker.connect()
    try {
      await locker.query('begin')
      await locker.query('lock table public.meeting in access exclusive mode')
      await integrity.goto()
      // A full load would drop this mark: the page must follow the run on its own.
      await page.evaluate(() => Object.assign(window, { __sameDocument: true }))
      const id = await integrity.startRun()
      const progress = integrity.runProgress
      await expect(progress).toContainText(/\d+ of \d+ checks · now: /, { timeout: 30_000 })
      const held = await progress.textContent()
      const total = Number(held!.match(/of (\d+) checks/)![1])
      await expect.poll(() => polls.length, { timeout: 10_000 }).toBeGreaterThan(1)
      await locker.query('commit')
      await expect(integrity.latestRun).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 })
      expect(total).toBeGreaterThan(1)
      await expect(integrity.resultsSummary).toHaveAttribute('data-run-id', id)
      await expect(integrity.count(integrity.relationRow(AGENDA))).toHaveText('25')
      await expect(progress).toHaveCount(0)
      expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true)
      // Once the run ended the page stops polling.
      const after = polls.length
      await page.waitForTimeout(4000)
      expect(polls.length).toBe(after)
    } finally {
      await locker.query('rollback').catch(() => {})
      await locker.end()
    }
  })
})

test.describe('integrity settings as operator', () => {
  asRole('operator')

  test('declares a value set and a role rule, then removes both', async ({ page }) => {
    const integrity = new IntegrityPage(page)
    await integrity.goto()
    const addSet = integrity.addEnumSet
    await integrity.submit(addSet, { Table: 'fileupload', Column: 'mime_type', 'Allowed values (comma-separated)': 'application/pdf, image/png' }, 'Declare values')
    await expect(integrity.formStatus(addSet)).toHaveText('fileupload.mime_type is now checked against 2 values.')
    const setRow = integrity.enumSetRow('public.fileupload.mime_type')
    await expect(setRow).toContainText('application/pdf, image/png')
    await integrity.remove(setRow)
    await expect(setRow).toHaveCount(0)

    const addRule = integrity.addRoleRule
    await integrity.submit(
      addRule,
      { Table: 'agenda_item', 'Owner column': 'user_id', 'Rows are': 'agenda items presented', 'Allowed roles (comma-separated)': 'student, faculty' },
      'Save rule',
    )
    await expect(integrity.formStatus(addRule)).toHaveText('Owners of agenda_item.user_id may be: STUDENT, FACULTY.')
    const ruleRow = integrity.roleRuleRow('agenda_item.user_id')
    await expect(ruleRow).toContainText('agenda items presented')
    await integrity.remove(ruleRow)
    await expect(ruleRow).toHaveCount(0)
    // The DoR presets stay.
    await expect(integrity.roleRuleRow('meeting.created_by')).toHaveCount(1)
  })
})

test.describe('failed submits as operator', () => {
  asRole('operator')

  test('keep what was typed and show each field’s error next to it', async ({ page }) => {
    const integrity = new IntegrityPage(page)
    await integrity.goto()
    const add = integrity.addSoftRelation
    await integrity.submit(
      add,
      { Table: 'agenda_item', Columns: 'no_such_column', 'Parent table': 'meeting', 'Parent columns': 'id', 'Note (optional)': 'typed with care' },
      'Add relation',
    )
    await expect(integrity.formStatus(add)).toHaveText('public.agenda_item has no column no_such_column.')
    const columnsError = integrity.fieldError(add, 'columns')
    await expect(columnsError).toHaveText('public.agenda_item has no column no_such_column.')
    await expect(field(add, 'Columns')).toHaveAttribute('aria-invalid', 'true')
    await expect(field(add, 'Table')).toHaveValue('agenda_item')
    await expect(field(add, 'Columns')).toHaveValue('no_such_column')
    await expect(field(add, 'Parent table')).toHaveValue('meeting')
    await expect(field(add, 'Note (optional)')).toHaveValue('typed with care')

    // Input the wrapper's validation refuses: its field errors land next to the field too.
    const sets = integrity.addEnumSet
    await integrity.submit(sets, { Table: 'user', Column: 'role', 'Allowed values (comma-separated)': ' , ,' }, 'Declare values')
    await expect(integrity.fieldError(sets, 'values')).toHaveText('give at least one value')
    await expect(field(sets, 'Table')).toHaveValue('user')
    await expect(field(sets, 'Allowed values (comma-separated)')).toHaveValue(' , ,')

    // Fixed and sent again: the error goes, and the saved form is emptied.
    await integrity.submit(add, { Columns: 'meeting_id' }, 'Add relation')
    await expect(integrity.formStatus(add)).toContainText('Saved public.agenda_item(meeting_id) → public.meeting(id)')
    await expect(columnsError).toHaveCount(0)
    await expect(field(add, 'Table')).toHaveValue('')
  })

  test('every id on the page is unique, so "Your rules" and "DoR rules" each jump to their own section', async ({ page }) => {
    const integrity = new IntegrityPage(page)
    await integrity.goto()
    const ids = await integrity.ids()
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
    await expect(integrity.contentsLink('Your rules')).toHaveAttribute('href', '#your-rules')
    await expect(integrity.anchorTarget('your-rules')).toHaveAttribute('data-testid', 'custom-rules')
  })
})

test.describe('integrity as viewer', () => {
  asRole('viewer')

  test('reads the results and downloads the CSV, with no run, fix or validate controls', async ({ page }) => {
    const integrity = new IntegrityPage(page)
    await integrity.goto()
    await expect(integrity.count(integrity.relationRow(AGENDA))).toHaveText('25')
    await expect(integrity.runButton).toHaveCount(0)
    await expect(integrity.fixLinks).toHaveCount(0)
    await expect(integrity.validateButtons).toHaveCount(0)
    await expect(integrity.addSoftRelation).toHaveCount(0)
    await expect(integrity.addEnumSet).toHaveCount(0)
    await expect(integrity.addRoleRule).toHaveCount(0)
    await expect(integrity.removeButtons).toHaveCount(0)
    await expect(integrity.acceptButtons).toHaveCount(0)

    await integrity.openSamples(UPLOADS)
    const orphans = new RelationOrphansPage(page)
    await expect(orphans.samples.rows()).toHaveCount(15)
    await expect(orphans.fixPanel).toHaveCount(0)
    await expect(orphans.fixJobs.root).toBeVisible()
    await expect(orphans.restoreButtons).toHaveCount(0)

    const res = await page.request.get(csvUrl(agendaQuery))
    expect(res.status()).toBe(200)
    expect(dataLines(await res.text())).toHaveLength(25)
    // Saved rows of fixes hold whole rows, secrets included: admins only.
    const rows = await page.request.get('/api/integrity/fixes/1/rows')
    expect(rows.status()).toBe(403)
    expect(await rows.text()).toBe('Your role (viewer) may not do this.\n')
  })

  test('anonymous downloads are refused, and so are relations the checks do not know', async ({ page, playwright }) => {
    const anonymous = await playwright.request.newContext({ baseURL: E2E.baseURL, storageState: { cookies: [], origins: [] } })
    expect((await anonymous.get(csvUrl(agendaQuery))).status()).toBe(401)
    await anonymous.dispose()
    const unknown = await page.request.get(csvUrl({ ...agendaQuery, table: 'fileupload', columns: 'user_id' }))
    expect(unknown.status()).toBe(404)
    // The page of a relation the checks do not know: 404, inside the dashboard, with a way back.
    const orphans = new RelationOrphansPage(page)
    const res = await orphans.goto({ ...agendaQuery, table: 'fileupload', columns: 'user_id' })
    expect(res?.status()).toBe(404)
    await expect(orphans.unknownRelation).toBeVisible()
    await expect(new Shell(page).userMenu).toBeVisible()
    await expect(orphans.backToIntegrity).toBeVisible()
  })
})

test.describe('integrity as admin', () => {
  asRole('admin')

  test('adds a rule that reads, is refused escapes with PostgreSQL’s first line, and deletes the rule', async ({ page }) => {
    const integrity = new IntegrityPage(page)
    await integrity.goto()
    const name = 'E2E: meetings ending before they start'
    const saved = await integrity.addCustomRule(name, 'select id, title from meeting where end_time < start_time')
    await expect(saved).toHaveText(new RegExp(`^Rule "${name}" saved; it finds [1-9]\\d* rows? now\\.$`))

    // The demo's target role is the cluster's superuser; the rule still runs as a role that only reads.
    const escapes: [string, string][] = [
      ['select 1) a) b; COMMIT; CREATE TABLE e2e_escaped (id int); SELECT 1 FROM (select 1 from (select 1', 'cannot insert multiple commands into a prepared statement'],
      ["select cast(pg_read_file('postgresql.conf') as int)", 'permission denied for function pg_read_file'],
      ["select 1 from (select set_config('role', 'postgres', false)) s", 'permission denied to set role "postgres"'],
    ]
    for (const [query, message] of escapes) {
      await expect(await integrity.addCustomRule('E2E: escape', query)).toHaveText(`The query does not run: ${message}`)
    }
    await expect(integrity.rule('E2E: escape')).toHaveCount(0)

    await integrity.deleteRule(name)
    await expect(integrity.rule(name)).toHaveCount(0)
  })

  test('a custom rule whose SQL does not run keeps the SQL and says why next to it', async ({ page }) => {
    const integrity = new IntegrityPage(page)
    await integrity.goto()
    const add = integrity.addRule
    const query = 'select id from meeting where no_such_column > 1'
    await expect(await integrity.addCustomRule('meetings in the future', query)).toContainText('The query does not run')
    await expect(integrity.fieldError(add, 'query')).toContainText('no_such_column')
    await expect(field(add, 'SELECT returning the violating rows')).toHaveValue(query)
    await expect(field(add, 'Name')).toHaveValue('meetings in the future')
  })

  test('sets the upload orphans’ reference to NULL after saving them, and the next run finds none', async ({ page }) => {
    test.setTimeout(180_000)
    const integrity = new IntegrityPage(page)
    const orphans = new RelationOrphansPage(page)
    await integrity.goto()
    await integrity.openFix(UPLOADS)
    await expect(page).toHaveURL(/\/integrity\/relation\?.*table=fileupload.*#fix$/)

    await expect(orphans.fixCount).toHaveText('15')
    await expect(orphans.fixOption('Delete the rows')).toBeEnabled()
    await orphans.fixOption('Set agenda_item_id to NULL (keep the rows)').check()
    const submit = orphans.fixSubmit('Set 15 references to NULL')
    const confirm = orphans.fixConfirmation('Type SET NULL 15 to confirm')
    await expect(submit).toBeDisabled()
    await confirm.fill('SET NULL 14')
    await expect(submit).toBeDisabled()
    await confirm.fill('set null 15')
    await expect(submit).toBeDisabled()
    await confirm.fill('SET NULL 15')
    await expect(submit).toBeEnabled()
    await submit.click()

    const result = orphans.fixResult
    await expect(result).toHaveText(
      /^Started fix #\d+ to set agenda_item_id to NULL in 15 rows of public\.fileupload; every row is saved to \S+\/backups\/integrity-fix-public\.fileupload-\d{8}T\d{9}Z\.jsonl first\.$/,
    )
    const fixId = (await result.textContent())!.match(/#(\d+)/)![1]
    // The page follows the job by itself while it runs.
    const job = orphans.fixJob(fixId)
    await expect(job).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 })
    await expect(orphans.fixProgress(job)).toContainText('15 of 15 rows set to NULL')
    await page.reload()
    await expect(orphans.heading()).toHaveText('0 orphan rows now')

    const saved = await page.request.get(`/api/integrity/fixes/${fixId}/rows`)
    expect(saved.status()).toBe(200)
    expect(saved.headers()['content-type']).toBe('application/x-ndjson; charset=utf-8')
    const savedRows = (await saved.text()).trim().split('\n').map((l) => JSON.parse(l))
    expect(savedRows).toHaveLength(15)
    expect(savedRows.every((r) => typeof r.row.agenda_item_id === 'number' && typeof r.record === 'string')).toBe(true)

    await integrity.runAllChecks()
    await expect(integrity.count(integrity.relationRow(UPLOADS))).toHaveText('ok')
    await expect(integrity.count(integrity.relationRow(AGENDA))).toHaveText('25')
    const res = await page.request.get(csvUrl(uploadsQuery))
    expect(dataLines(await res.text())).toHaveLength(0)

    // Restore from the Integrity page's list of fixes: the references come back.
    const listed = integrity.fixJobs.row('job-id', fixId)
    await integrity.restoreFix(fixId)
    const restore = integrity.fixJobs.row('kind', 'restore').first()
    await expect(restore).toContainText(`restore of #${fixId}`)
    await expect(restore).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 })
    await expect(listed).toContainText(/restored by #\d+/)
    await expect(integrity.restoreButton(listed)).toHaveCount(0)
    await orphans.goto(uploadsQuery)
    await expect(orphans.heading()).toHaveText('15 orphan rows now')
  })
})
