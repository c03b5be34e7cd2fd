import type { Kysely, Selectable } from 'kysely'
import type { StateDatabase } from '@/db/state-schema'

/** The dashboard's own database, typed by db/state-schema.ts (generated: npm run db:state-types). */
export type StateDb = Kysely<StateDatabase>

/** A row of a state table as `select *` returns it. */
export type StateRow<T extends keyof StateDatabase> = Selectable<StateDatabase[T]>
