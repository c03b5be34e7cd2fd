import { test as base } from '@playwright/test'
import type { Role } from '../lib/auth/permissions'
import { storageStatePath } from './e2e-env'

/** `asRole('viewer')` in a describe block signs every test in it in as that role. */
export function asRole(role: Role) {
  base.use({ storageState: storageStatePath(role) })
}

export const test = base
export { expect } from '@playwright/test'
