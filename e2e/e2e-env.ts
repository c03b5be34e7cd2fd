import type { Role } from '../lib/auth/permissions'

const port = Number(process.env.E2E_PORT ?? 3210)

export const E2E = {
  port,
  baseURL: `http://localhost:${port}`,
  dataDir: '.data/e2e',
  users: {
    admin: { email: 'admin@e2e.local', password: 'admin-e2e-password-1' },
    operator: { email: 'operator@e2e.local', password: 'operator-e2e-password-1' },
    viewer: { email: 'viewer@e2e.local', password: 'viewer-e2e-password-1' },
  } satisfies Record<Role, { email: string; password: string }>,
}

export function storageStatePath(role: Role): string {
  return `playwright/.auth/${role}.json`
}
