import { z } from 'zod'
import type { GuardedSpec } from './guarded-run'
import type { StateDb } from '../state/state-db'

/** `system` follows the browser's prefers-color-scheme; the others hold whatever it says. */
export const THEMES = ['system', 'light', 'dark'] as const
export type Theme = (typeof THEMES)[number]

export const SetThemeInput = z.object({ theme: z.enum(THEMES, { error: 'choose system, light or dark' }) })

export async function readTheme(db: StateDb, userId: string): Promise<Theme> {
  const row = await db.selectFrom('app_user').select('theme').where('id', '=', userId).executeTakeFirst()
  return row && (THEMES as readonly string[]).includes(row.theme) ? (row.theme as Theme) : 'system'
}

export async function writeTheme(db: StateDb, userId: string, theme: Theme): Promise<void> {
  await db.updateTable('app_user').set({ theme }).where('id', '=', userId).execute()
}

/** Sets the signed-in user's own theme: the input names no user, so nobody can set another's. */
export const setThemeSpec: GuardedSpec<typeof SetThemeInput, { theme: Theme }> = {
  name: 'profile.set_theme',
  permission: 'profile.edit',
  input: SetThemeInput,
  target: () => null,
  async run(ctx, input) {
    await writeTheme(ctx.stateDb, ctx.user.id, input.theme)
    return { message: `Theme set to ${input.theme}.`, data: { theme: input.theme }, target: ctx.user.email }
  },
}
