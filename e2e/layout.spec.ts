import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { E2E, storageStatePath } from './e2e-env'
import { asRole, expect, test } from './fixtures'
import { Shell } from './pages/shell'
import { TablePage } from './pages/table-page'

const TABLE_PAGE = '/schema/table?schema=public&name=agenda_item'
const RELATION_PAGE = `/integrity/relation?${new URLSearchParams({ schema: 'public', table: 'agenda_item', columns: 'meeting_id', refSchema: 'public', refTable: 'meeting', refColumns: 'id' })}`
const SCREENS = [
  { name: 'overview', path: '/overview' },
  { name: 'schema', path: '/schema' },
  { name: 'table', path: TABLE_PAGE },
  { name: 'migrations', path: '/migrations' },
  { name: 'integrity', path: '/integrity' },
  { name: 'jobs', path: '/jobs' },
  { name: 'backups', path: '/backups' },
]
const SIZES = [
  { width: 390, height: 844 },
  { width: 1440, height: 900 },
]
const SCHEMES = ['light', 'dark'] as const

/**
 * Axe's serious and critical findings on the page as it is now, one line each. In the dark scheme
 * only the colour rules (the rest does not change with the scheme): it keeps the run short.
 */
async function seriousViolations(page: Page, scheme: (typeof SCHEMES)[number]): Promise<string[]> {
  const axe = new AxeBuilder({ page })
  if (scheme === 'dark') axe.withRules(['color-contrast', 'link-in-text-block'])
  const { violations } = await axe.analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)
}

test.describe('layout as admin', () => {
  asRole('admin')

  test('pages at 390 and 1440 px, light and dark: screenshots kept, no page-wide horizontal scroll on a phone', async ({ page }, info) => {
    test.setTimeout(120_000)
    const shell = new Shell(page)
    for (const screen of SCREENS) {
      await page.setViewportSize(SIZES[0])
      await page.goto(screen.path)
      await expect(shell.title).toBeVisible()
      await page.waitForLoadState('networkidle')
      for (const size of SIZES) {
        await page.setViewportSize(size)
        for (const scheme of SCHEMES) {
          await page.emulateMedia({ colorScheme: scheme })
          if (size.width === 390) expect(await shell.overflows(), `${screen.name} at 390 px, ${scheme}`).toBe(false)
          await page.screenshot({ path: info.outputPath(`${screen.name}-${size.width}-${scheme}.png`), fullPage: true })
        }
      }
    }
  })

  test('every page has no serious or critical accessibility violation, light and dark', async ({ page }) => {
    // Thirteen pages, each analysed twice: a loaded 2-core machine needs minutes.
    test.setTimeout(360_000)
    const pages = ['/overview', '/schema', TABLE_PAGE, '/schema/types', '/schema/snapshots', '/migrations', '/integrity', RELATION_PAGE, '/jobs', '/backups', '/users', '/audit', '/no-such-page']
    const found: string[] = []
    for (const path of pages) {
      await page.goto(path)
      await page.waitForLoadState('networkidle')
      for (const scheme of SCHEMES) {
        await page.emulateMedia({ colorScheme: scheme })
        found.push(...(await seriousViolations(page, scheme)).map((v) => `${path} ${scheme}: ${v}`))
      }
    }
    expect(found).toEqual([])
  })

  test('the performance pages have no serious or critical accessibility violation, light and dark', async ({ page }) => {
    test.setTimeout(180_000)
    const shell = new Shell(page)
    const found: string[] = []
    for (const path of ['/activity', '/slow-queries', '/indexes', '/tables', '/connections', '/settings']) {
      await page.goto(path)
      await expect(shell.title).toBeVisible()
      for (const scheme of SCHEMES) {
        await page.emulateMedia({ colorScheme: scheme })
        found.push(...(await seriousViolations(page, scheme)).map((v) => `${path} ${scheme}: ${v}`))
      }
    }
    expect(found).toEqual([])
  })

  test('under 900 px the sidebar is a menu that opens, and closes after moving to a page', async ({ page }) => {
    const shell = new Shell(page)
    await page.setViewportSize(SIZES[0])
    await page.goto('/overview')
    await expect(shell.nav).toBeHidden()
    await shell.menuButton.click()
    await expect(shell.nav).toBeVisible()
    await shell.navLink('Schema').click()
    await expect(page).toHaveURL(/\/schema$/)
    await expect(shell.nav).toBeHidden()
    // From the keyboard too: the menu's checkbox takes Space.
    await shell.menuCheckbox.focus()
    await page.keyboard.press('Space')
    await expect(shell.nav).toBeVisible()
  })

  test('the skip link is the first stop and moves to the page’s content', async ({ page }) => {
    const shell = new Shell(page)
    await page.goto('/schema')
    await page.keyboard.press('Tab')
    await expect(shell.skipLink).toBeFocused()
    await expect(shell.skipLink).toBeInViewport()
    await page.keyboard.press('Enter')
    await expect(shell.main).toBeFocused()
  })

  test('Copy puts the SQL on the clipboard exactly', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    const table = new TablePage(page)
    await table.goto('public', 'agenda_item')
    const copy = table.copyDdlButton('public.agenda_item')
    await copy.click()
    await expect(copy).toHaveText('Copied')
    const copied = await page.evaluate(() => navigator.clipboard.readText())
    expect(copied).toBe(await table.ddl.textContent())
    expect(copied).toContain('CREATE TABLE public.agenda_item')
  })

  test('without the clipboard API (plain HTTP) Copy still copies, or selects the SQL to copy by hand', async ({ page }) => {
    await page.addInitScript(() => Object.defineProperty(navigator, 'clipboard', { value: undefined }))
    const table = new TablePage(page)
    await table.goto('public', 'agenda_item')
    await table.copyDdl()
    await expect(table.copyStatus()).toHaveText(/^(Copied to the clipboard\.|Selected: press Ctrl\+C \(⌘C\) to copy\.)$/)
    if ((await table.copyStatus().textContent())?.startsWith('Selected')) {
      expect(await page.evaluate(() => window.getSelection()?.toString())).toContain('CREATE TABLE public.agenda_item')
    }
  })
})

test.describe('theme', () => {
  asRole('viewer')

  test('a viewer’s choice is kept for them only and is in the first HTML of every page', async ({ page, browser }) => {
    const shell = new Shell(page)
    await page.goto('/overview')
    expect(await shell.htmlTheme()).toBeNull()
    await expect(shell.theme('Auto')).toHaveAttribute('aria-pressed', 'true')
    await shell.theme('Dark').click()
    await expect(shell.html).toHaveAttribute('data-theme', 'dark')
    await expect(shell.theme('Dark')).toHaveAttribute('aria-pressed', 'true')
    // Rendered by the server: no light first paint before a script could change it.
    const html = await (await page.request.get('/schema')).text()
    expect(html).toMatch(/<html[^>]*data-theme="dark"/)
    await page.goto('/schema')
    await expect(shell.html).toHaveAttribute('data-theme', 'dark')

    // Another user's pages are not affected.
    const operator = await browser.newContext({ storageState: storageStatePath('operator') })
    const other = await (await operator.request.get(`${E2E.baseURL}/overview`)).text()
    expect(other).not.toMatch(/<html[^>]*data-theme=/)
    await operator.close()

    await shell.theme('Auto').click()
    await expect(shell.html).not.toHaveAttribute('data-theme', /.*/)
  })

  test('the theme switch and the menu work without JavaScript', async ({ browser }) => {
    const context = await browser.newContext({ storageState: storageStatePath('viewer'), javaScriptEnabled: false, viewport: SIZES[0] })
    const page = await context.newPage()
    const shell = new Shell(page)
    try {
      await page.goto(`${E2E.baseURL}/overview`)
      await expect(shell.nav).toBeHidden()
      await shell.menuButton.click()
      await expect(shell.nav).toBeVisible()
      await shell.theme('Light').click()
      await expect(shell.html).toHaveAttribute('data-theme', 'light')
      await shell.menuButton.click()
      await shell.theme('Auto').click()
      await expect(shell.html).not.toHaveAttribute('data-theme', /.*/)
    } finally {
      await context.close()
    }
  })
})

test('the login page has no serious or critical accessibility violation', async ({ browser }) => {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } })
  const page = await context.newPage()
  await page.goto(`${E2E.baseURL}/login`)
  const found: string[] = []
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme })
    found.push(...(await seriousViolations(page, scheme)).map((v) => `login ${scheme}: ${v}`))
  }
  expect(found).toEqual([])
  // The favicon is served to anyone, before sign-in too.
  const href = await new Shell(page).favicon.getAttribute('href')
  const icon = await context.request.get(`${E2E.baseURL}${href}`)
  expect(icon.status()).toBe(200)
  expect(icon.headers()['content-type']).toContain('image/svg+xml')
  await context.close()
})
