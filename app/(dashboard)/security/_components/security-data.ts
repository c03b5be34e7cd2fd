import 'server-only'
import { cache } from 'react'
import { targetDb } from '@/lib/db/server-dbs'
import { relationSchemas, tablePrivilegePage, type TablePrivilegeQuery } from '@/lib/security/privileges'
import { securityOverview } from '@/lib/security/report'

/** One read of the overview per request, shared by the sections that show parts of it. */
export const loadOverview = cache(() => securityOverview(targetDb()))

export async function loadGrid(query: TablePrivilegeQuery) {
  const db = targetDb()
  const [page, schemas] = await Promise.all([tablePrivilegePage(db, query), relationSchemas(db)])
  return { page, schemas }
}
