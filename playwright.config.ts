import { defineConfig } from '@playwright/test'
import { E2E } from './e2e/e2e-env'

export default defineConfig({
  testDir: './e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: E2E.baseURL,
    trace: 'off',
    launchOptions: {
      // Debian's Chromium; Playwright's own browser downloads are not available here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // A fresh data directory each run: its own embedded cluster, demo and users.
    command: `rm -rf ${E2E.dataDir} && node --import tsx scripts/start.ts`,
    url: `${E2E.baseURL}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: String(E2E.port),
      DATA_DIR: E2E.dataDir,
      ADMIN_EMAIL: E2E.users.admin.email,
      ADMIN_PASSWORD: E2E.users.admin.password,
      // Specs start integrity runs themselves; an unattended one would make theirs wait.
      INTEGRITY_SCHEDULE_HOURS: '0',
      // The health spec takes its samples itself (dbadmin metrics sample); a sampler job a minute
      // would also crowd the Jobs page the jobs spec reads.
      METRICS_SCHEDULE_CRON: 'off',
    },
  },
})
