import { createHash, randomInt } from 'node:crypto'
import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'

export const RECOVERY_CODE_COUNT = 10

// 32 symbols without look-alikes (no 0/o, 1/l): 16 of them carry 80 bits, so one SHA-256 per code
// is enough; a slow hash would only add cost, not safety.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'

/** A code as the user sees it: four groups of four, e.g. `k7cm-2xqa-9tvh-npe4`. */
export function generateRecoveryCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)])
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-')
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '')
}

export function looksLikeRecoveryCode(code: string): boolean {
  const n = normalizeRecoveryCode(code)
  return n.length === 16 && [...n].every((c) => ALPHABET.includes(c))
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(code)).digest('hex')
}

/** Replaces a user's recovery codes with new ones; returns them in plain text, the only time they exist so. */
export async function replaceRecoveryCodes(db: StateDb, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode)
  await db.deleteFrom('user_recovery_code').where('user_id', '=', userId).execute()
  await db
    .insertInto('user_recovery_code')
    .values(codes.map((c) => ({ user_id: userId, code_hash: hashRecoveryCode(c) })))
    .execute()
  return codes
}

/** Marks the code used if it is an unused code of this user; true when it was. */
export async function consumeRecoveryCode(db: StateDb, userId: string, code: string, at: Date): Promise<boolean> {
  const used = await db
    .updateTable('user_recovery_code')
    .set({ used_at: at })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hashRecoveryCode(code))
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
  return !!used
}

export async function recoveryCodesLeft(db: StateDb, userId: string): Promise<number> {
  const row = await db
    .selectFrom('user_recovery_code')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow()
  return row.n
}
