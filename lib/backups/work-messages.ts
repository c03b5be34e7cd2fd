import { plural } from '../format/units'
import type { TableRestoreResult } from './table-restore'

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
}

const entry = (e: { type: string; schema: string | null; name: string | null }) => `${e.type.toLowerCase()} ${e.schema ? `${e.schema}.` : ''}${e.name ?? ''}`

/** What a single-table restore did: the rows, and what it included, found present and left out. */
export function describeTableRestore(r: TableRestoreResult): string {
  const needs = r.included.filter((e) => e.role === 'needs')
  const parts = [`Restored ${r.table.schema}.${r.table.table} (${plural(r.rows, 'row')}) into ${r.database} in ${seconds(r.durationMs)}.`]
  if (needs.length) parts.push(`Included what it needs: ${needs.map(entry).join(', ')}.`)
  if (r.present.length) parts.push(`Already there: ${r.present.map(entry).join(', ')}.`)
  if (r.skipped.length) parts.push(`Left out: ${r.skipped.map((s) => `${entry(s)} (${s.reason})`).join('; ')}.`)
  return parts.join(' ')
}
