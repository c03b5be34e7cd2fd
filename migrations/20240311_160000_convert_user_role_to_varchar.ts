import { type Kysely, sql } from 'kysely'

// The hand-run production script, made official. The enum type `userrole` is left
// behind unused, exactly as production has it; later code writes roles in any case.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE "user"
      ALTER COLUMN role DROP DEFAULT,
      ALTER COLUMN role TYPE varchar(20) USING role::text,
      ALTER COLUMN role SET DEFAULT 'STUDENT'
  `.execute(db)
}

// Mixed-case values written since the conversion are folded to the enum's upper-case
// labels; a value that is no role at all makes the rollback fail rather than lose it.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE "user"
      ALTER COLUMN role DROP DEFAULT,
      ALTER COLUMN role TYPE userrole USING upper(role)::userrole,
      ALTER COLUMN role SET DEFAULT 'STUDENT'
  `.execute(db)
}
