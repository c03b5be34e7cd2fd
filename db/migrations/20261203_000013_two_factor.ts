import { type Kysely, sql } from 'kysely'

/**
 * Two-factor sign-in with TOTP. The shared secret is kept sealed (AES-256-GCM under a key derived
 * from AUTH_SECRET), recovery codes only as SHA-256 hashes, and failed attempts by time, for the
 * rate limit. `last_used_step` is the 30-second step of the last accepted code: a code is never
 * accepted twice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_totp')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('app_user.id').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    // Null while the enrolment waits for its first code.
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('user_recovery_code')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('user_recovery_code_user_hash_key').on('user_recovery_code').columns(['user_id', 'code_hash']).unique().execute()

  await db.schema
    .createTable('two_factor_failure')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('two_factor_failure_user_at_idx').on('two_factor_failure').columns(['user_id', 'at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('two_factor_failure').execute()
  await db.schema.dropTable('user_recovery_code').execute()
  await db.schema.dropTable('user_totp').execute()
}
