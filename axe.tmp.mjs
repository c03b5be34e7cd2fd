import { chromium } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
const base = 'http://localhost:3230'
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
const ctx = await browser.newContext({ baseURL: base, viewport: { width: 1440, height: 900 } })
const page = await ctx.newPage()
await page.goto('/login')
for (const scheme of ['light','dark']) {
await page.emulateMedia({ colorScheme: scheme })
const r0 = await new AxeBuilder({ page }).analyze()
for (const v of r0.violations) console.log('login', scheme, v.impact, v.id, v.nodes.length, v.nodes.slice(0,3).map(n => n.target.join(' ')+' :: '+n.failureSummary?.split('\n')[1]).join(' | '))
}
await page.getByLabel('E-mail').fill('admin@ui.local')
await page.getByLabel('Password').fill('admin-ui-password-1')
await page.getByRole('button', { name: 'Sign in' }).click()
await page.waitForURL(/overview/)
if (process.env.RUN) {
  await page.goto('/integrity')
  await page.getByRole('button', { name: 'Run all checks' }).click()
  await page.waitForSelector('[data-testid="latest-run"][data-status="succeeded"]', { timeout: 120000 })
}
if (process.env.W) await page.setViewportSize({ width: Number(process.env.W), height: 844 })
for (const scheme of ['light','dark']) {
await page.emulateMedia({ colorScheme: scheme })
for (const p of process.argv.slice(2)) {
  await page.goto(p)
  await page.waitForLoadState('networkidle')
  const r = await new AxeBuilder({ page }).analyze()
  for (const v of r.violations) console.log(p, scheme, v.impact, v.id, v.nodes.length, v.nodes.slice(0,3).map(n => n.target.join(' ')+' :: '+n.failureSummary?.split('\n')[1]).join(' | '))
}}
await browser.close()
