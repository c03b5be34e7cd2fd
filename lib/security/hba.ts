import { type Kysely, sql } from 'kysely'
import { isLocalAddress } from './transport'

export interface HbaRule {
  /** The file the rule is in (hba_file; PostgreSQL 16+ also names included files). */
  file: string | null
  line: number
  /** local, host, hostssl, hostnossl, hostgssenc, hostnogssenc */
  type: string
  databases: string[]
  users: string[]
  /** An IP address, a host name, or all / samehost / samenet; null for local (Unix socket) rules. */
  address: string | null
  netmask: string | null
  method: string
  options: string[]
  /** The line could not be parsed: PostgreSQL ignores it (and refuses to reload while it exists). */
  error: string | null
}

export type HbaResult = { readable: true; rules: HbaRule[] } | { readable: false; reason: string }

/**
 * The rules of pg_hba.conf as the server parsed them. pg_hba_file_rules can only be read by
 * superusers (and roles granted EXECUTE on its function): other roles get `readable: false`.
 */
export async function readHbaRules(db: Kysely<any>): Promise<HbaResult> {
  try {
    const [{ rows }, { rows: fileRows }] = await Promise.all([
      sql<{ rule: Record<string, any> }>`select to_jsonb(h) as rule from pg_catalog.pg_hba_file_rules h order by h.line_number`.execute(db),
      sql<{ file: string | null }>`select setting as file from pg_catalog.pg_settings where name = 'hba_file'`.execute(db),
    ])
    const hbaFile = fileRows[0]?.file ?? null
    return {
      readable: true,
      rules: rows.map(({ rule }) => ({
        file: rule.file_name ?? hbaFile,
        line: Number(rule.line_number),
        type: rule.type ?? '',
        databases: rule.database ?? [],
        users: rule.user_name ?? [],
        address: rule.address ?? null,
        netmask: rule.netmask ?? null,
        method: rule.auth_method ?? '',
        options: rule.options ?? [],
        error: rule.error ?? null,
      })),
    }
  } catch (e) {
    const err = e as { code?: string; message?: string }
    if (err.code === '42501') {
      return { readable: false, reason: 'pg_hba_file_rules can only be read by a superuser' }
    }
    throw e
  }
}

function isLoopbackMask(address: string, netmask: string | null): boolean {
  if (address.includes(':')) return address === '::1' && (netmask === null || /^ffff(:ffff){7}$/i.test(netmask))
  // 127.0.0.0/8 and narrower stay on the machine; a wider mask (127.0.0.1/0) matches anyone.
  return netmask === null || netmask.startsWith('255.')
}

/** Whether a host rule can only match connections from the server itself. */
export function hbaRuleIsLocal(rule: Pick<HbaRule, 'type' | 'address' | 'netmask'>): boolean {
  if (rule.type === 'local') return true
  if (rule.address === null) return false
  if (rule.address === 'samehost' || rule.address === 'localhost') return true
  if (rule.address === 'all' || rule.address === 'samenet') return false
  return isLocalAddress(rule.address) && isLoopbackMask(rule.address, rule.netmask)
}
