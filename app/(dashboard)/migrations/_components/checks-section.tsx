import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { loadStatus } from './migrations-data'
import { MigrationChecks } from './migration-checks'

/** The checks: everyone reads what they do; operators and admins get the buttons. */
export async function ChecksSection({ user }: { user: AppUser }) {
  let pending: string[] | null
  try {
    const status = await loadStatus()
    // Where the chain is not adopted its checks refuse: the banner above says why.
    if (!status.management.chainAdopted) return null
    pending = status.pending
  } catch {
    // The migrations section above says why; the checks report their own errors when run.
    pending = null
  }
  return <MigrationChecks canRun={can(user.role, 'checks.run')} pending={pending} />
}
