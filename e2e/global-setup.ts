import fs from 'node:fs'
import { chromium, type FullConfig, request } from '@playwright/test'
import type { Role } from '../lib/auth/permissions'
import { E2E, storageStatePath } from './e2e-env'
import { LoginPage } from './pages/login-page'

/**
 * The admin comes from ADMIN_EMAIL/ADMIN_PASSWORD at start-up (the data directory is new each run).
 * It creates the operator and the viewer through POST /api/users; then each role signs in through
 * the real login page and its browser state is saved for the specs.
 */
export default async function globalSetup(config: FullConfig) {
  fs.mkdirSync('playwright/.auth', { recursive: true })
  const browser = await chromium.launch(config.projects[0].use.launchOptions)
  const signIn = async (role: Role) => {
    const context = await browser.newContext({ baseURL: E2E.baseURL })
    await new LoginPage(await context.newPage()).signInAndWait(E2E.users[role].email, E2E.users[role].password)
    await context.storageState({ path: storageStatePath(role) })
    await context.close()
  }
  try {
    await signIn('admin')
    const admin = await request.newContext({ baseURL: E2E.baseURL, storageState: storageStatePath('admin') })
    for (const role of ['operator', 'viewer'] as const) {
      const res = await admin.post('/api/users', {
        data: { email: E2E.users[role].email, role, password: E2E.users[role].password },
      })
      if (!res.ok()) throw new Error(`creating the ${role} failed: ${res.status()} ${await res.text()}`)
    }
    await admin.dispose()
    await signIn('operator')
    await signIn('viewer')
  } finally {
    await browser.close()
  }
}
