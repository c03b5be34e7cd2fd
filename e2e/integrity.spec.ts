import type { Locator, Page } from '@playwright/test'
import { E2E } from './e2e-env'
import { asRole, expect, test } from './fixtures'

// The demo's planted problems (lib/demo/seed-demo.ts).
const AGENDA = 'public.agenda_item(meeting_id) → public.meeting(id)'
const UPLOADS = 'public.fileupload(agenda_item_id) → public.agenda_item(id)'
const agendaQuery = { schema: 'public', table: 'agenda_item', columns: 'meeting_id', refSchema: 'public', refTable: 'meeting', refColumns: 'id' }
const uploadsQuery = { schema: 'public', table: 'fileupload', columns: 'agenda_item_id', refSchema: 'public', refTable: 'agenda_item', refColumns: 'id' }

const csvUrl = (q: Record<string, string>) => `/api/integrity/orphans.csv?${new URLSearchParams(q)}`
const dataLines = (csv: string) => csv.split('\r\n').filter(Boolean).slice(1)

function relationRow(page: Page, relation: string) {
  return page.getByTestId('relations-table').locator(`tr[data-relation="${relation}"]`)
}

/** Starts a run from the page and waits, without reloading, for the page to show it finished. */
async function runAllChecks(page: Page): Promise<string> {
  await page.goto('/integrity')
  const controls = page.getByTestId('run-checks')
  await controls.getByRole('button', { name: 'Run all checks' }).click()
  const status = controls.getByRole('status')
  await expect(status).toHaveText(/^Started integrity run #\d+\.$/)
  const id = (await status.textContent())!.match(/#(\d+)/)![1]
  const latest = page.getByTestId('latest-run')
  await expect(latest).toHaveAttribute('data-run-id', id)
  // The page refreshes itself every 2 s while the run is queued or running.
  await expect(latest).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 })
  await expect(page.getByTestId('results-summary')).toHaveAttribute('data-run-id', id)
  // Finished: no progress left behind, and no "Started" line about a run that is over.
  await expect(page.getByTestId('run-progress')).toHaveCount(0)
  await expect(status).toHaveCount(0)
  return id
}

test.describe('integrity as operator', () => {
  asRole('operator')

  test('runs all checks and finds the demo’s orphans, enum values and NOT VALID foreign key', async ({ page }) => {
    test.setTimeout(180_000)
    await runAllChecks(page)

    const agenda = relationRow(page, AGENDA)
    await expect(agenda.getByTestId('finding-count')).toHaveText('25')
    await expect(agenda.getByTestId('relation-source')).toHaveText('soft')
    const uploads = relationRow(page, UPLOADS)
    await expect(uploads.getByTestId('finding-count')).toHaveText('15')
    await expect(uploads.getByTestId('relation-source')).toHaveText('soft')
    // Operators run checks but do not fix data.
    await expect(page.getByRole('link', { name: 'Fix…' })).toHaveCount(0)

    const role = page.getByTestId('findings-enums').locator('tr[data-check="enum_values"]').filter({ hasText: 'user.role used as enum' })
    await expect(role.getByTestId('finding-values')).toContainText('student')
    await expect(role.getByTestId('finding-values')).toContainText('faculty')

    const fk = page
      .getByTestId('findings-constraints')
      .locator('tr[data-check="not_valid_foreign_key"]')
      .filter({ hasText: 'meeting_attendee_user_id_fkey' })
    await expect(fk.getByTestId('finding-count')).toHaveText('4')
    await expect(page.getByTestId('role-chart')).toBeVisible()

    const res = await page.request.get(csvUrl(agendaQuery))
    expect(res.status()).toBe(200)
    expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers()['content-disposition']).toContain('attachment; filename=')
    const csv = await res.text()
    expect(csv.split('\r\n')[0]).toBe('id,meeting_id')
    expect(dataLines(csv)).toHaveLength(25)
  })
})

test.describe('integrity settings as operator', () => {
  asRole('operator')

  test('declares a value set and a role rule, then removes both', async ({ page }) => {
    await page.goto('/integrity')
    const sets = page.getByTestId('enum-sets')
    const addSet = sets.getByTestId('add-enum-set')
    await addSet.getByLabel('Table').fill('fileupload')
    await addSet.getByLabel('Column').fill('mime_type')
    await addSet.getByLabel('Allowed values (comma-separated)').fill('application/pdf, image/png')
    await addSet.getByRole('button', { name: 'Declare values' }).click()
    await expect(addSet.getByRole('status')).toHaveText('fileupload.mime_type is now checked against 2 values.')
    const setRow = sets.locator('tr').filter({ hasText: 'public.fileupload.mime_type' })
    await expect(setRow).toContainText('application/pdf, image/png')
    await setRow.getByRole('button', { name: 'Remove' }).click()
    await expect(setRow).toHaveCount(0)

    const rules = page.getByTestId('role-rules')
    const addRule = rules.getByTestId('add-role-rule')
    await addRule.getByLabel('Table').fill('agenda_item')
    await addRule.getByLabel('Owner column').fill('user_id')
    await addRule.getByLabel('Rows are').fill('agenda items presented')
    await addRule.getByLabel('Allowed roles (comma-separated)').fill('student, faculty')
    await addRule.getByRole('button', { name: 'Save rule' }).click()
    await expect(addRule.getByRole('status')).toHaveText('Owners of agenda_item.user_id may be: STUDENT, FACULTY.')
    const ruleRow = rules.locator('tr').filter({ hasText: 'agenda_item.user_id' })
    await expect(ruleRow).toContainText('agenda items presented')
    await ruleRow.getByRole('button', { name: 'Remove' }).click()
    await expect(ruleRow).toHaveCount(0)
    // The DoR presets stay.
    await expect(rules.locator('tr').filter({ hasText: 'meeting.created_by' })).toHaveCount(1)
  })
})

/** A field by its accessible name, which leaves out the error shown inside its label. */
const field = (form: Locator, name: string) => form.getByRole('textbox', { name, exact: true })

test.describe('failed submits as operator', () => {
  asRole('operator')

  test('keep what was typed and show each field’s error next to it', async ({ page }) => {
    await page.goto('/integrity')
    const add = page.getByTestId('add-soft-relation')
    await field(add, 'Table').fill('agenda_item')
    await field(add, 'Columns').fill('no_such_column')
    await field(add, 'Parent table').fill('meeting')
    await field(add, 'Parent columns').fill('id')
    await field(add, 'Note (optional)').fill('typed with care')
    await add.getByRole('button', { name: 'Add relation' }).click()
    await expect(add.getByRole('status')).toHaveText('public.agenda_item has no column no_such_column.')
    const columnsError = add.locator('[data-testid="field-error"][data-field="columns"]')
    await expect(columnsError).toHaveText('public.agenda_item has no column no_such_column.')
    await expect(field(add, 'Columns')).toHaveAttribute('aria-invalid', 'true')
    await expect(field(add, 'Table')).toHaveValue('agenda_item')
    await expect(field(add, 'Columns')).toHaveValue('no_such_column')
    await expect(field(add, 'Parent table')).toHaveValue('meeting')
    await expect(field(add, 'Note (optional)')).toHaveValue('typed with care')

    // Input the wrapper's validation refuses: its field errors land next to the field too.
    const sets = page.getByTestId('add-enum-set')
    await field(sets, 'Table').fill('user')
    await field(sets, 'Column').fill('role')
    await field(sets, 'Allowed values (comma-separated)').fill(' , ,')
    await sets.getByRole('button', { name: 'Declare values' }).click()
    await expect(sets.locator('[data-field="values"]')).toHaveText('give at least one value')
    await expect(field(sets, 'Table')).toHaveValue('user')
    await expect(field(sets, 'Allowed values (comma-separated)')).toHaveValue(' , ,')

    // Fixed and sent again: the error goes, and the saved form is emptied.
    await field(add, 'Columns').fill('meeting_id')
    await add.getByRole('button', { name: 'Add relation' }).click()
    await expect(add.getByRole('status')).toContainText('Saved public.agenda_item(meeting_id) → public.meeting(id)')
    await expect(columnsError).toHaveCount(0)
    await expect(field(add, 'Table')).toHaveValue('')
  })

  test('every id on the page is unique, so "Your rules" and "DoR rules" each jump to their own section', async ({ page }) => {
    await page.goto('/integrity')
    const ids = await page.locator('[id]').evaluateAll((els) => els.map((e) => e.id))
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
    await expect(page.getByRole('link', { name: 'Your rules' })).toHaveAttribute('href', '#your-rules')
    await expect(page.locator('#your-rules')).toHaveAttribute('data-testid', 'custom-rules')
  })
})

test.describe('integrity as viewer', () => {
  asRole('viewer')

  test('reads the results and downloads the CSV, with no run, fix or validate controls', async ({ page }) => {
    await page.goto('/integrity')
    await expect(relationRow(page, AGENDA).getByTestId('finding-count')).toHaveText('25')
    await expect(page.getByRole('button', { name: 'Run all checks' })).toHaveCount(0)
    await expect(page.getByRole('link', { name: 'Fix…' })).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Validate' })).toHaveCount(0)
    await expect(page.getByTestId('add-soft-relation')).toHaveCount(0)
    await expect(page.getByTestId('add-enum-set')).toHaveCount(0)
    await expect(page.getByTestId('add-role-rule')).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Remove' })).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Accept' })).toHaveCount(0)

    await relationRow(page, UPLOADS).getByRole('link', { name: 'samples' }).click()
    await expect(page.getByTestId('orphan-samples').locator('tbody tr')).toHaveCount(15)
    await expect(page.getByTestId('fix-panel')).toHaveCount(0)
    await expect(page.getByTestId('fix-jobs')).toBeVisible()
    await expect(page.getByRole('button', { name: 'Restore' })).toHaveCount(0)

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
    const res = await page.goto(`/integrity/relation?${new URLSearchParams({ ...agendaQuery, table: 'fileupload', columns: 'user_id' })}`)
    expect(res?.status()).toBe(404)
    await expect(page.getByText('That is not a relation the integrity checks know')).toBeVisible()
    await expect(page.getByTestId('user-menu')).toBeVisible()
    await expect(page.getByRole('link', { name: 'Back to integrity' })).toBeVisible()
  })
})

test.describe('integrity as admin', () => {
  asRole('admin')

  test('adds a rule that reads, is refused escapes with PostgreSQL’s first line, and deletes the rule', async ({ page }) => {
    await page.goto('/integrity')
    const panel = page.getByTestId('custom-rules')
    const add = panel.getByTestId('add-rule')
    const name = 'E2E: meetings ending before they start'
    await add.getByLabel('Name').fill(name)
    await add.getByLabel('SELECT returning the violating rows').fill('select id, title from meeting where end_time < start_time')
    await add.getByRole('button', { name: 'Add rule' }).click()
    await expect(add.getByRole('status')).toHaveText(new RegExp(`^Rule "${name}" saved; it finds [1-9]\\d* rows? now\\.$`))

    // The demo's target role is the cluster's superuser; the rule still runs as a role that only reads.
    const escapes: [string, string][] = [
      ['select 1) a) b; COMMIT; CREATE TABLE e2e_escaped (id int); SELECT 1 FROM (select 1 from (select 1', 'cannot insert multiple commands into a prepared statement'],
      ["select cast(pg_read_file('postgresql.conf') as int)", 'permission denied for function pg_read_file'],
      ["select 1 from (select set_config('role', 'postgres', false)) s", 'permission denied to set role "postgres"'],
    ]
    for (const [query, message] of escapes) {
      // React resets the form once the action and the refresh after it are done: fill after that.
      await expect(add.getByRole('button', { name: 'Add rule' })).toBeEnabled()
      await add.getByLabel('Name').fill('E2E: escape')
      await add.getByLabel('SELECT returning the violating rows').fill(query)
      await add.getByRole('button', { name: 'Add rule' }).click()
      await expect(add.getByRole('status')).toHaveText(`The query does not run: ${message}`)
    }
    await expect(panel.locator('details[data-rule="E2E: escape"]')).toHaveCount(0)

    const mine = panel.locator(`details[data-rule="${name}"]`)
    await mine.locator('summary').click()
    page.once('dialog', (d) => void d.accept())
    await mine.getByRole('button', { name: 'Delete rule' }).click()
    await expect(mine).toHaveCount(0)
  })

  test('a custom rule whose SQL does not run keeps the SQL and says why next to it', async ({ page }) => {
    await page.goto('/integrity')
    const add = page.getByTestId('add-rule')
    const query = 'select id from meeting where no_such_column > 1'
    await field(add, 'Name').fill('meetings in the future')
    await field(add, 'SELECT returning the violating rows').fill(query)
    await add.getByRole('button', { name: 'Add rule' }).click()
    await expect(add.getByRole('status')).toContainText('The query does not run')
    await expect(add.locator('[data-field="query"]')).toContainText('no_such_column')
    await expect(field(add, 'SELECT returning the violating rows')).toHaveValue(query)
    await expect(field(add, 'Name')).toHaveValue('meetings in the future')
  })

  test('sets the upload orphans’ reference to NULL after saving them, and the next run finds none', async ({ page }) => {
    test.setTimeout(180_000)
    await page.goto('/integrity')
    await relationRow(page, UPLOADS).getByRole('link', { name: 'Fix…' }).click()
    await expect(page).toHaveURL(/\/integrity\/relation\?.*table=fileupload.*#fix$/)

    const panel = page.getByTestId('fix-panel')
    await expect(panel.getByTestId('fix-count')).toHaveText('15')
    await expect(panel.getByLabel('Delete the rows')).toBeEnabled()
    await panel.getByLabel('Set agenda_item_id to NULL (keep the rows)').check()
    const submit = panel.getByRole('button', { name: 'Set 15 references to NULL' })
    const confirm = panel.getByLabel('Type SET NULL 15 to confirm')
    await expect(submit).toBeDisabled()
    await confirm.fill('SET NULL 14')
    await expect(submit).toBeDisabled()
    await confirm.fill('set null 15')
    await expect(submit).toBeDisabled()
    await confirm.fill('SET NULL 15')
    await expect(submit).toBeEnabled()
    await submit.click()

    const result = panel.getByTestId('fix-result')
    await expect(result).toHaveText(
      /^Started fix #\d+ to set agenda_item_id to NULL in 15 rows of public\.fileupload; every row is saved to \S+\/backups\/integrity-fix-public\.fileupload-\d{8}T\d{9}Z\.jsonl first\.$/,
    )
    const fixId = (await result.textContent())!.match(/#(\d+)/)![1]
    // The page follows the job by itself while it runs.
    const job = page.getByTestId('fix-jobs').locator(`tr[data-job-id="${fixId}"]`)
    await expect(job).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 })
    await expect(job.getByTestId('fix-progress')).toContainText('15 of 15 rows set to NULL')
    await page.reload()
    await expect(page.getByTestId('orphan-summary').getByRole('heading')).toHaveText('0 orphan rows now')

    const saved = await page.request.get(`/api/integrity/fixes/${fixId}/rows`)
    expect(saved.status()).toBe(200)
    expect(saved.headers()['content-type']).toBe('application/x-ndjson; charset=utf-8')
    const savedRows = (await saved.text()).trim().split('\n').map((l) => JSON.parse(l))
    expect(savedRows).toHaveLength(15)
    expect(savedRows.every((r) => typeof r.row.agenda_item_id === 'number' && typeof r.record === 'string')).toBe(true)

    await runAllChecks(page)
    await expect(relationRow(page, UPLOADS).getByTestId('finding-count')).toHaveText('ok')
    await expect(relationRow(page, AGENDA).getByTestId('finding-count')).toHaveText('25')
    const res = await page.request.get(csvUrl(uploadsQuery))
    expect(dataLines(await res.text())).toHaveLength(0)

    // Restore from the Integrity page's list of fixes: the references come back.
    const listed = page.getByTestId('fix-jobs').locator(`tr[data-job-id="${fixId}"]`)
    page.once('dialog', (d) => void d.accept())
    await listed.getByRole('button', { name: 'Restore' }).click()
    const restore = page.getByTestId('fix-jobs').locator('tr[data-kind="restore"]').first()
    await expect(restore).toContainText(`restore of #${fixId}`)
    await expect(restore).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 })
    await expect(listed).toContainText(/restored by #\d+/)
    await expect(listed.getByRole('button', { name: 'Restore' })).toHaveCount(0)
    await page.goto(`/integrity/relation?${new URLSearchParams(uploadsQuery)}`)
    await expect(page.getByTestId('orphan-summary').getByRole('heading')).toHaveText('15 orphan rows now')
  })
})
