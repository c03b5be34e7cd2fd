import { asRole, expect, test } from './fixtures'
import { AuditPage } from './pages/audit-page'
import { NotFoundPage } from './pages/not-found-page'
import { SchemaPage } from './pages/schema-page'
import { Shell } from './pages/shell'
import { TablePage } from './pages/table-page'
import { TypesPage } from './pages/types-page'

test.describe('viewer', () => {
  asRole('viewer')

  test('filters relations by table and by column name', async ({ page }) => {
    const schema = new SchemaPage(page)
    await schema.goto()
    await expect(new Shell(page).navLink('Schema')).toBeVisible()
    await expect(schema.relations.root).toContainText('agenda_item')

    await schema.filter('agenda')
    await expect(schema.link('agenda_item')).toBeVisible()
    await expect(schema.relations.root).not.toContainText('registration_request')
    await expect(schema.count).toContainText(/of \d+ relations/)

    await schema.filter('processed_by')
    await expect(schema.matchedColumns('registration_request')).toHaveText('processed_by')
  })

  test('sorts by its headers through the URL, and the old sort links still work', async ({ page }) => {
    const schema = new SchemaPage(page)
    await schema.goto()
    await expect(schema.sortHeader(/Name/)).toHaveAttribute('aria-sort', 'ascending')
    const byName = await schema.names()
    expect(byName).toEqual([...byName].sort())

    // Largest first, then smallest first: the same order the server gives ?sort=size.
    await schema.sortBy(/Total size/)
    await expect(page).toHaveURL(/\/schema\?sort=size$/)
    await expect(schema.sortHeader(/Total size/)).toHaveAttribute('aria-sort', 'descending')
    const largestFirst = await schema.names()
    expect(largestFirst[0]).toBe('agenda_item')
    await schema.sortBy(/Total size/)
    await expect(page).toHaveURL(/\/schema\?sort=size&dir=asc$/)
    await expect(schema.sortHeader(/Total size/)).toHaveAttribute('aria-sort', 'ascending')
    expect((await schema.names())[0]).not.toBe('agenda_item')

    // A link from before the headers sorted: same list, same order.
    await schema.goto('?sort=size')
    expect(await schema.names()).toEqual(largestFirst)
    // The filter keeps the sort it was given.
    await schema.chooseSort('rows')
    await schema.filter('a')
    await expect(page).toHaveURL(/sort=rows/)
    await expect(schema.sortHeader(/Rows/)).toHaveAttribute('aria-sort', 'descending')
  })

  test('opens a table page from the list: columns, diagram, DDL', async ({ page }) => {
    const schema = new SchemaPage(page)
    const table = new TablePage(page)
    await schema.goto('?q=agenda')
    await schema.link('agenda_item').click()
    await expect(page).toHaveURL(/\/schema\/table\?schema=public&name=agenda_item$/)
    await expect(table.title).toContainText('public.agenda_item')

    await expect(table.columnNames()).toHaveText([
      'id',
      'meeting_id',
      'user_id',
      'item_type',
      'title',
      'content',
      'created_at',
      'updated_at',
      'order_index',
    ])
    // The enum column links to its type on the types page.
    await expect(table.typeLink('agendaitemtype')).toHaveAttribute(
      'href',
      '/schema/types#public.agendaitemtype',
    )

    await expect(table.diagramDrawing()).toBeVisible()
    await expect(table.diagram).toContainText('agenda_item')
    await expect(table.diagram).toContainText('user')
    await expect(table.diagramLinksTo('public', 'user')).toHaveCount(1)

    await expect(table.ddl).toContainText('CREATE TABLE public.agenda_item')
    // Highlighted, and copied whole by its button.
    await expect(table.ddlKeywords().first()).toHaveText(/^(CREATE|SET|SELECT)$/i)
    await expect(table.copyDdlButton('public.agenda_item')).toBeEnabled()
  })

  test('sees a masked preview and no reveal button', async ({ page }) => {
    const table = new TablePage(page)
    await table.goto('public', 'registration_request')
    await expect(table.preview.root).toBeVisible()
    const password = await table.previewColumn(table.preview, 'password')
    await expect(password.header).toContainText('masked')
    await expect(password.cells.first()).toHaveText('••••••')
    await expect(table.revealControl).toHaveCount(0)
    await expect(table.revealButton).toHaveCount(0)
  })

  test('an unknown table answers 404 with a clear message, inside the dashboard', async ({ page }) => {
    const table = new TablePage(page)
    const res = await table.goto('public', 'no "such"; table')
    expect(res?.status()).toBe(404)
    await expect(table.notFound).toContainText('No table “no "such"; table” in schema “public”')
    await expect(new Shell(page).userMenu).toBeVisible()
    await table.backToSchema.click()
    await expect(page).toHaveURL(/\/schema$/)
    // A table that exists still answers 200.
    expect((await table.goto('public', 'meeting'))?.status()).toBe(200)
  })

  test('an unknown address answers 404 inside the dashboard, with a way back', async ({ page }) => {
    const notFound = new NotFoundPage(page)
    const res = await notFound.goto('/no-such-page/deeper?x=1')
    expect(res?.status()).toBe(404)
    await expect(notFound.heading).toBeVisible()
    await expect(new Shell(page).userMenu).toBeVisible()
    await notFound.backToOverview.click()
    await expect(page).toHaveURL(/\/overview$/)
  })
})

test.describe('admin', () => {
  asRole('admin')

  test('reveals masked values, and the reveal is in the audit log', async ({ page }) => {
    const table = new TablePage(page)
    await table.goto('public', 'registration_request')
    await expect(table.preview.root).toBeVisible()
    await expect(table.preview.rows().first()).toContainText('••••••')

    await table.reveal()
    await expect(table.revealNotice).toHaveText('Values revealed; this was recorded in the audit log.')
    await expect(table.revealed.root).toBeVisible()
    await expect(table.revealed.body()).not.toContainText('••••••')
    await expect((await table.previewColumn(table.revealed, 'password')).header).toContainText('revealed')

    await table.hideValues()
    await expect(table.preview.root).toBeVisible()
    await expect(table.revealed.root).toHaveCount(0)

    const log = new AuditPage(page)
    await log.goto({ action: 'schema.reveal_values' })
    const audit = log.entries.root
    await expect(audit).toContainText('public.registration_request')
    await expect(audit).toContainText('admin@e2e.local')
    await expect(audit).toContainText('Values revealed')
  })

  test('the types page lists enums with anchors and sequences', async ({ page }) => {
    const types = new TypesPage(page)
    await types.goto('public.agendaitemtype')
    const row = types.typeRow('public.agendaitemtype')
    await expect(row).toContainText('student_update')
    await expect(types.usedBy(row, 'public.agenda_item')).toBeVisible()
    await expect(types.sequences).toContainText('agenda_item_id_seq')
  })
})
