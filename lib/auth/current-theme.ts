import 'server-only'
import { cache } from 'react'
import { stateDb } from '../db/server-dbs'
import { currentUser } from './current-user'
import { readTheme, type Theme } from './theme'

/**
 * The signed-in user's theme, once per request (the root layout renders it into <html>, the sidebar
 * marks it). Without a user, or when the state database does not answer, the system's.
 */
export const currentTheme = cache(async (): Promise<Theme> => {
  try {
    const user = await currentUser()
    return user ? await readTheme(stateDb(), user.id) : 'system'
  } catch {
    return 'system'
  }
})
