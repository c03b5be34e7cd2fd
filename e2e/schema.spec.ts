import { asRole, expect, test } from './fixtures'

/** The filter form on /schema, as a user fills it in. */
async function filterRelations(page: import('@playwright/test').Page, text: string) {
  await page.getByLabel('Filter schema, table or column names').fill(text)
  await page.getByRole('button', { name: 'Filter' }).click()
  await expect(page).toHaveURL(new RegExp(`[?&]q=${encodeURIComponent(text)}`))
}

test.describe('viewer', () => {
  asRole('viewer')

  test('filters relations by table and by column name', async ({ page }) => {
    await page.goto('/schema')
    await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Schema' })).toBeVisible()
    const table = page.getByTestId('relations-table')
    await expect(table).toContainText('agenda_item')

    await filterRelations(page, 'agenda')
    await expect(table.getByRole('link', { name: 'agenda_item', exact: true })).toBeVisible()
    await expect(table).not.toContainText('registration_request')
    await expect(page.getByTestId('relations-count')).toContainText(/of \d+ relations/)

    await filterRelations(page, 'processed_by')
    const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'registration_request', exact: true }) })
    await expect(row.getByTestId('matched-columns')).toHaveText('processed_by')
  })

  test('opens a table page from the list: columns, diagram, DDL', async ({ page }) => {
    await page.goto('/schema?q=agenda')
    await page.getByTestId('relations-table').getByRole('link', { name: 'agenda_item', exact: true }).click()
    await expect(page).toHaveURL(/\/schema\/table\?schema=public&name=agenda_item$/)
    await expect(page.getByTestId('table-title')).toContainText('public.agenda_item')

    const columns = page.getByTestId('columns-table')
    await expect(columns.locator('tbody tr td:nth-child(2) > .mono')).toHaveText([
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
    await expect(columns.getByRole('link', { name: 'agendaitemtype' })).toHaveAttribute(
      'href',
      '/schema/types#public.agendaitemtype',
    )

    const diagram = page.getByTestId('relationship-diagram')
    await expect(diagram.locator('svg')).toBeVisible()
    await expect(diagram).toContainText('agenda_item')
    await expect(diagram).toContainText('user')
    await expect(diagram.locator('a[href="/schema/table?schema=public&name=user"]')).toHaveCount(1)

    await expect(page.getByTestId('ddl')).toContainText('CREATE TABLE public.agenda_item')
  })

  test('sees a masked preview and no reveal button', async ({ page }) => {
    await page.goto('/schema/table?schema=public&name=registration_request')
    const preview = page.getByTestId('preview-table')
    await expect(preview).toBeVisible()
    const header = preview.locator('th[data-column="password"]')
    await expect(header).toContainText('masked')
    const passwordIndex = await preview.locator('thead th').evaluateAll((ths) =>
      ths.findIndex((th) => th.getAttribute('data-column') === 'password'),
    )
    const cells = preview.locator(`tbody tr td:nth-child(${passwordIndex + 1})`)
    await expect(cells.first()).toHaveText('••••••')
    await expect(page.getByTestId('reveal-button')).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Reveal masked values' })).toHaveCount(0)
  })

  test('an unknown table answers 404 with a clear message, inside the dashboard', async ({ page }) => {
    const res = await page.goto(`/schema/table?${new URLSearchParams({ schema: 'public', name: 'no "such"; table' })}`)
    expect(res?.status()).toBe(404)
    await expect(page.getByTestId('table-not-found')).toContainText('No table “no "such"; table” in schema “public”')
    await expect(page.getByTestId('user-menu')).toBeVisible()
    await page.getByRole('link', { name: 'Back to the schema' }).click()
    await expect(page).toHaveURL(/\/schema$/)
    // A table that exists still answers 200.
    expect((await page.goto('/schema/table?schema=public&name=meeting'))?.status()).toBe(200)
  })

  test('an unknown address answers 404 inside the dashboard, with a way back', async ({ page }) => {
    const res = await page.goto('/no-such-page/deeper?x=1')
    expect(res?.status()).toBe(404)
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible()
    await expect(page.getByTestId('user-menu')).toBeVisible()
    await page.getByRole('link', { name: 'Back to the overview' }).click()
    await expect(page).toHaveURL(/\/overview$/)
  })
})

test.describe('admin', () => {
  asRole('admin')

  test('reveals masked values, and the reveal is in the audit log', async ({ page }) => {
    await page.goto('/schema/table?schema=public&name=registration_request')
    const masked = page.getByTestId('preview-table')
    await expect(masked).toBeVisible()
    await expect(masked.locator('tbody')).toContainText('••••••')

    await page.getByRole('button', { name: 'Reveal masked values' }).click()
    await expect(page.getByRole('status')).toHaveText('Values revealed; this was recorded in the audit log.')
    const revealed = page.getByTestId('preview-table-revealed')
    await expect(revealed).toBeVisible()
    await expect(revealed.locator('tbody')).not.toContainText('••••••')
    await expect(revealed.locator('th[data-column="password"]')).toContainText('revealed')

    await page.getByRole('button', { name: 'Hide values' }).click()
    await expect(page.getByTestId('preview-table')).toBeVisible()
    await expect(page.getByTestId('preview-table-revealed')).toHaveCount(0)

    await page.goto('/audit?action=schema.reveal_values')
    const audit = page.getByTestId('audit-table')
    await expect(audit).toContainText('public.registration_request')
    await expect(audit).toContainText('admin@e2e.local')
    await expect(audit).toContainText('Values revealed')
  })

  test('the types page lists enums with anchors and sequences', async ({ page }) => {
    await page.goto('/schema/types#public.agendaitemtype')
    const row = page.locator('tr[id="public.agendaitemtype"]')
    await expect(row).toContainText('student_update')
    await expect(row.getByRole('link', { name: 'public.agenda_item' })).toBeVisible()
    await expect(page.getByTestId('sequences-table')).toContainText('agenda_item_id_seq')
  })
})
