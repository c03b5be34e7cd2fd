/** A number as PostgreSQL prints it: a spreadsheet reads it as a number, never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/**
 * A cell value a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
 * return) with a leading ' as OWASP advises, so `=HYPERLINK(…)` from a row stays text; plain
 * numbers such as -5 are left as they are. The same rule as csvField for the hand-written CSVs
 * (lib/format/csv.ts), for CSVs written with csv-stringify.
 */
export function formulaSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value
}
