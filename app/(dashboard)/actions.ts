'use server'

import { revalidatePath } from 'next/cache'
import { action } from '@/lib/auth/action'
import { setThemeSpec } from '@/lib/auth/theme'

/** The theme is rendered into <html> by the root layout: every page is rendered again with it. */
export const setThemeAction = action({
  ...setThemeSpec,
  async run(ctx, input) {
    const outcome = await setThemeSpec.run(ctx, input)
    revalidatePath('/', 'layout')
    return outcome
  },
})
