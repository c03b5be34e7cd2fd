import 'server-only'
import type { DbCapability } from '@/lib/db/capabilities'
import { DEFAULT_READER_ROLE } from '@/lib/db/reader-login'
import { capabilityDb } from '@/lib/db/server-dbs'
import { describeRole, sessionRole } from '@/lib/db/session-role'
import { serverEnv } from '@/lib/runtime/server-env'

/** The role a capability's connection logs in as (and acts as), or null when it does not answer. */
async function roleText(capability: DbCapability | 'rule_reader'): Promise<string | null> {
  if (capability === 'rule_reader') {
    const configured = serverEnv().ruleReaderUrl
    if (!configured) return DEFAULT_READER_ROLE
    const u = new URL(configured)
    return decodeURIComponent(u.searchParams.get('user') || u.username) || null
  }
  try {
    return describeRole(await sessionRole(capabilityDb(capability)))
  } catch {
    return null
  }
}

/** A small note of which database role a page part or a job uses: `what` as role X. */
export async function RoleNote({ uses }: { uses: { what: string; capability: DbCapability | 'rule_reader' }[] }) {
  const parts = await Promise.all(uses.map(async (u) => ({ ...u, role: await roleText(u.capability) })))
  const known = parts.filter((p) => p.role)
  if (known.length === 0) return null
  return (
    <p className="role-note muted" data-testid="role-note">
      {known.map((p, i) => (
        <span key={p.capability + p.what} data-capability={p.capability}>
          {i > 0 ? '; ' : ''}
          {p.what} as role <code>{p.role}</code>
        </span>
      ))}
      .
    </p>
  )
}
