import type { Privilege } from '@/lib/security/privileges'

/** psql's one-letter names of privileges (\dp), so that a grid with many roles stays narrow. */
export const PRIVILEGE_LETTERS: Record<string, string> = {
  SELECT: 'r',
  INSERT: 'a',
  UPDATE: 'w',
  DELETE: 'd',
  TRUNCATE: 'D',
  REFERENCES: 'x',
  TRIGGER: 't',
  EXECUTE: 'X',
  USAGE: 'U',
  CREATE: 'C',
  CONNECT: 'c',
  TEMPORARY: 'T',
  MAINTAIN: 'm',
}

const ORDER = Object.keys(PRIVILEGE_LETTERS)

function sorted(privileges: Privilege[]): Privilege[] {
  return [...privileges].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type))
}

/** `arwd*`: the letters in psql's order, `*` after one the holder may grant on. */
export function privilegeLetters(privileges: Privilege[]): string {
  return sorted(privileges)
    .map((p) => (PRIVILEGE_LETTERS[p.type] ?? `[${p.type}]`) + (p.grantable ? '*' : ''))
    .join('')
}

/** `SELECT, INSERT (with grant option)`: the same in words. */
export function privilegeWords(privileges: Privilege[]): string {
  return sorted(privileges)
    .map((p) => p.type + (p.grantable ? ' (with grant option)' : ''))
    .join(', ')
}
