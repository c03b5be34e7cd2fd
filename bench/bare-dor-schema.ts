import { type Kysely, sql } from 'kysely'

/**
 * The DoR-Dash tables as production has them, built by hand rather than by the project's
 * migrations: the migrations' final columns, primary keys and the foreign keys to "user" only. No
 * other index or constraint (no agenda_item(meeting_id) index, no unique e-mail): the database a
 * fix meets when nobody tuned it for the dashboard. Drops the DoR tables first.
 */
export async function createBareDorSchema(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS registration_request, fileupload, agenda_item, meeting, "user" CASCADE`.execute(db)
  // The old enum types stay, as in production: only user.role went to varchar.
  await sql`DO $$ BEGIN
    CREATE TYPE userrole AS ENUM ('STUDENT', 'FACULTY', 'SECRETARY', 'ADMIN');
    EXCEPTION WHEN duplicate_object THEN NULL; END $$`.execute(db)
  await sql`DO $$ BEGIN
    CREATE TYPE meetingtype AS ENUM ('general_update', 'presentations_and_updates', 'other');
    EXCEPTION WHEN duplicate_object THEN NULL; END $$`.execute(db)
  await sql`DO $$ BEGIN
    CREATE TYPE agendaitemtype AS ENUM ('student_update', 'faculty_update', 'announcement', 'presentation');
    EXCEPTION WHEN duplicate_object THEN NULL; END $$`.execute(db)
  await sql`DO $$ BEGIN
    CREATE TYPE registrationstatus AS ENUM ('pending', 'approved', 'rejected');
    EXCEPTION WHEN duplicate_object THEN NULL; END $$`.execute(db)
  await sql`CREATE TABLE "user" (
    id serial PRIMARY KEY, username varchar(50) NOT NULL, email varchar(255) NOT NULL, full_name varchar(100),
    hashed_password varchar(255) NOT NULL, role varchar(20) NOT NULL DEFAULT 'STUDENT', avatar bytea,
    is_active boolean NOT NULL DEFAULT true, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz)`.execute(db)
  await sql`CREATE TABLE meeting (
    id serial PRIMARY KEY, title varchar(200) NOT NULL, description text,
    meeting_type meetingtype NOT NULL DEFAULT 'general_update', start_time timestamptz NOT NULL, end_time timestamptz NOT NULL,
    created_by integer NOT NULL REFERENCES "user" (id), created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz,
    location varchar(200))`.execute(db)
  await sql`CREATE TABLE agenda_item (
    id serial PRIMARY KEY, meeting_id integer NOT NULL, user_id integer NOT NULL REFERENCES "user" (id),
    item_type agendaitemtype NOT NULL, title varchar(200) NOT NULL, content jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz, order_index integer NOT NULL)`.execute(db)
  await sql`CREATE TABLE fileupload (
    id serial PRIMARY KEY, agenda_item_id integer, user_id integer NOT NULL REFERENCES "user" (id),
    filename varchar(255) NOT NULL, filepath varchar(500) NOT NULL, file_size bigint NOT NULL, mime_type varchar(100),
    uploaded_at timestamptz NOT NULL DEFAULT now())`.execute(db)
  await sql`CREATE TABLE registration_request (
    id serial PRIMARY KEY, username varchar(50) NOT NULL, email varchar(255) NOT NULL, full_name varchar(100),
    password varchar(255) NOT NULL, status registrationstatus NOT NULL DEFAULT 'pending',
    processed_by integer REFERENCES "user" (id) ON DELETE SET NULL, processed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now())`.execute(db)
}

/** Whether the DoR tables were built by the project's migrations ('migrations') or by hand ('bare'). */
export async function dorShape(db: Kysely<any>): Promise<'migrations' | 'bare'> {
  const { rows } = await sql<{ indexed: boolean }>`
    select to_regclass('public.agenda_item_meeting_id_idx') is not null as indexed`.execute(db)
  return rows[0].indexed ? 'migrations' : 'bare'
}
