import { formulaSafe } from './csv-formula'

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; NULL is empty.
 * Every hand-written CSV of the dashboard goes through here (CSVs written with csv-stringify use
 * formulaSafe directly): a value a spreadsheet would run as a formula gets a leading '.
 */
export function csvField(value: string | null): string {
  if (value === null) return ''
  const safe = formulaSafe(value)
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One CSV record with its CRLF line end. */
export function csvLine(values: (string | null)[]): string {
  return values.map(csvField).join(',') + '\r\n'
}
