/** A number as PostgreSQL prints it: a spreadsheet reads it as a number, never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; NULL is empty.
 * Every CSV the dashboard writes goes through here. A value a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or carriage return) gets a leading ' as OWASP advises, so
 * `=HYPERLINK(…)` from a row stays text; plain numbers such as -5 are left as they are.
 */
export function csvField(value: string | null): string {
  if (value === null) return ''
  const safe = /^[=+\-@\t\r]/.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One CSV record with its CRLF line end. */
export function csvLine(values: (string | null)[]): string {
  return values.map(csvField).join(',') + '\r\n'
}
