import { type Kysely, sql } from 'kysely'

/**
 * A rule that cannot see what it judges says so (issue 15): e.g. a monitoring login without
 * USAGE or SELECT on the sequences reads no sequence values, and the sequence rule would
 * otherwise stay silent as if all were well. Kept beside the rule's state, written by the sampler.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table alert_state add column notice text`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table alert_state drop column notice`.execute(db)
}
