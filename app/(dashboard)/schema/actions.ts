'use server'

import { action } from '@/lib/auth/action'
import { dataReaderDb } from '@/lib/db/server-dbs'
import { revealPreviewSpec } from '@/lib/schema/reveal-action'

/** Reads only: nothing to revalidate. */
export const revealPreviewAction = action(revealPreviewSpec(dataReaderDb))
