import { type Kysely, sql } from 'kysely'

/**
 * Fills an empty DoR-Dash database (migrations applied up to, not including, the newest)
 * with a small demo that carries the real database's problems, so every dashboard page
 * has something true to find. Deterministic: the same rows on every run.
 */
export interface DemoSeedSummary {
  users: number
  meetings: number
  agendaItems: number
  fileUploads: number
  registrationRequests: number
  meetingAttendees: number
  problems: {
    /** agenda_item.meeting_id pointing at a deleted meeting (no foreign key stops it). */
    orphanAgendaItems: number
    /** fileupload.agenda_item_id pointing at a deleted agenda item. */
    orphanFileUploads: number
    /** fileupload.agenda_item_id IS NULL: allowed, and not orphans. */
    unattachedFileUploads: number
    notValidForeignKey: { table: string; constraint: string; violatingRows: number }
    unusedIndex: { table: string; index: string }
    tableWithoutPrimaryKey: string
    /** user.role value → rows, e.g. both 'FACULTY' and 'faculty'. */
    roleSpellings: Record<string, number>
    plainTextPasswords: number
    pendingWithExistingUsername: number
    meetingsEndingBeforeStart: number
    approvedWithoutProcessor: number
    avatars: number
  }
}

const USERS = 80 // 1 admin, 1 secretary, 10 faculty (3..12), 68 students (13..80)
const LEAVERS = 4 // users 81..84: attend a meeting, then their accounts are deleted
const MEETINGS = 200
const ITEMS_PER_MEETING = 5
const REQUESTS = 40 // 1..18 pending, 19..34 approved, 35..40 rejected
const DELETED_MEETINGS = [7, 47, 87, 127, 167]
const BACKWARDS_MEETINGS = [12, 64, 158]
const APPROVED_WITHOUT_PROCESSOR = [21, 26, 31]
const PENDING_WITH_EXISTING_USERNAME = [4, 9, 13, 17] // copy the username of user 10 + 3r
const FIRST_NAMES = ['Amara', 'Ben', 'Chen', 'Dana', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas',
  'Kemi', 'Luca', 'Maya', 'Nikhil', 'Olga', 'Pedro', 'Quinn', 'Rosa', 'Sami', 'Tariq']
const LAST_NAMES = ['Adeyemi', 'Berg', 'Costa', 'Dubois', 'Eze', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen',
  'Kowalski', 'Lee', 'Moreau', 'Nakamura', 'Okafor', 'Patel', 'Quispe', 'Rossi', 'Silva', 'Tanaka']
// Not a real hash: demo accounts are never meant to log in to DoR-Dash.
const DEMO_PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$ZGVtbw$not-a-real-hash'

export const DEMO_NOT_VALID_FK = 'meeting_attendee_user_id_fkey'
export const DEMO_UNUSED_INDEX = 'meeting_title_idx'

export async function seedDemo(db: Kysely<any>): Promise<DemoSeedSummary> {
  // All or nothing: a half-seeded demo would show problems nobody planted.
  if (db.isTransaction) return seedInto(db)
  return db.transaction().execute((trx) => seedInto(trx))
}

async function seedInto(db: Kysely<any>): Promise<DemoSeedSummary> {
  const { rows: [existing] } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM "user"`.execute(db)
  if (existing.n > 0) throw new Error('seedDemo expects an empty DoR database, but "user" already has rows')

  await sql`
    INSERT INTO "user" (id, username, email, full_name, hashed_password, role, avatar, is_active, created_at)
    SELECT i, lower(n.first) || i, lower(n.first) || i || '@dor.example.edu', n.first || ' ' || n.last,
      ${DEMO_PASSWORD_HASH},
      -- Mixed case, as the hand-run VARCHAR conversion and later code left production.
      CASE WHEN i = 1 THEN 'ADMIN'
           WHEN i = 2 THEN 'SECRETARY'
           WHEN i <= 12 THEN CASE WHEN i % 2 = 0 THEN 'FACULTY' ELSE 'faculty' END
           WHEN i % 5 = 0 THEN 'student'
           ELSE 'STUDENT' END,
      -- A PNG signature plus four bytes: small, but real bytea for the "never SELECT *" rule.
      CASE WHEN i % 10 = 0 THEN decode('89504e470d0a1a0a' || lpad(to_hex(i), 8, '0'), 'hex') END,
      i % 23 <> 0,
      timestamptz '2023-09-01 09:00+00' + i * interval '1 day'
    FROM generate_series(1, ${USERS + LEAVERS}::int) AS i
    CROSS JOIN LATERAL (
      SELECT (${FIRST_NAMES}::text[])[1 + i % 20] AS first, (${LAST_NAMES}::text[])[1 + (i * 7) % 20] AS last
    ) AS n
  `.execute(db)

  // Two meetings a week; faculty, the secretary and the admin (users 1..12) organise them.
  await sql`
    INSERT INTO meeting (id, title, description, meeting_type, start_time, end_time, created_by, created_at)
    SELECT m,
      CASE m % 3 WHEN 0 THEN 'Weekly research update #' WHEN 1 THEN 'Presentations and updates #'
        ELSE 'Lab logistics #' END || m,
      'Demo meeting ' || m,
      (CASE m % 3 WHEN 0 THEN 'general_update' WHEN 1 THEN 'presentations_and_updates' ELSE 'other' END)::meetingtype,
      t.start_time,
      CASE WHEN m = ANY(${BACKWARDS_MEETINGS}::int[]) THEN t.start_time - interval '30 minutes'
           ELSE t.start_time + interval '90 minutes' END,
      1 + m % 12,
      t.start_time - interval '14 days'
    FROM generate_series(1, ${MEETINGS}::int) AS m
    CROSS JOIN LATERAL (
      SELECT timestamptz '2024-01-08 10:00+00' + (m / 2) * interval '7 days' + (m % 2) * interval '2 days' AS start_time
    ) AS t
  `.execute(db)

  // Per meeting: an announcement by the organiser, three student updates, then a
  // presentation (even meetings) or a faculty update (odd ones).
  await sql`
    INSERT INTO agenda_item (id, meeting_id, user_id, item_type, title, content, order_index, created_at)
    SELECT (m.id - 1) * ${ITEMS_PER_MEETING}::int + pos, m.id,
      CASE WHEN pos = 1 THEN m.created_by
           WHEN pos = ${ITEMS_PER_MEETING}::int AND m.id % 2 = 1 THEN 3 + m.id % 10
           ELSE 13 + (m.id * 7 + pos * 11) % 68 END,
      k.kind::agendaitemtype,
      initcap(replace(k.kind, '_', ' ')) || ' ' || pos || ' for meeting ' || m.id,
      jsonb_build_object('summary', 'Progress notes ' || m.id || '.' || pos, 'blockers', (m.id + pos) % 4 = 0),
      pos,
      m.start_time - interval '2 days' + pos * interval '1 hour'
    FROM meeting AS m
    CROSS JOIN generate_series(1, ${ITEMS_PER_MEETING}::int) AS pos
    CROSS JOIN LATERAL (
      SELECT CASE WHEN pos = 1 THEN 'announcement'
                  WHEN pos < ${ITEMS_PER_MEETING}::int THEN 'student_update'
                  WHEN m.id % 2 = 0 THEN 'presentation'
                  ELSE 'faculty_update' END AS kind
    ) AS k
  `.execute(db)

  // One file on the 2nd and 4th item of every meeting, plus profile-page uploads that
  // belong to no agenda item at all.
  await sql`
    INSERT INTO fileupload (id, agenda_item_id, user_id, filename, filepath, file_size, mime_type, uploaded_at)
    SELECT row_number() OVER (ORDER BY a.id), a.id, a.user_id, f.name, 'uploads/' || a.meeting_id || '/' || f.name,
      20000 + (a.id * 7919) % 4000000, f.mime, a.created_at + interval '10 minutes'
    FROM agenda_item AS a
    CROSS JOIN LATERAL (
      SELECT 'update-' || a.id || CASE WHEN a.order_index = 2 THEN '.pdf' ELSE '.pptx' END AS name,
        CASE WHEN a.order_index = 2 THEN 'application/pdf'
             ELSE 'application/vnd.openxmlformats-officedocument.presentationml.presentation' END AS mime
    ) AS f
    WHERE a.order_index IN (2, 4)
  `.execute(db)
  await sql`
    INSERT INTO fileupload (id, agenda_item_id, user_id, filename, filepath, file_size, mime_type, uploaded_at)
    SELECT base.n + i, NULL, 13 + (i * 5) % 68, 'cv-' || i || '.pdf', 'uploads/profile/cv-' || i || '.pdf',
      50000 + i * 1000, 'application/pdf', timestamptz '2024-02-01 12:00+00' + i * interval '3 days'
    FROM generate_series(1, 30) AS i, (SELECT count(*)::int AS n FROM fileupload) AS base
  `.execute(db)

  await sql`
    INSERT INTO registration_request (id, username, email, full_name, password, status, processed_by, processed_at, created_at)
    SELECT r, u.username, u.username || '@mail.example.com', n.first || ' ' || n.last,
      'demo-plaintext-password-' || r,
      (CASE WHEN r <= 18 THEN 'pending' WHEN r <= 34 THEN 'approved' ELSE 'rejected' END)::registrationstatus,
      CASE WHEN r <= 18 OR r = ANY(${APPROVED_WITHOUT_PROCESSOR}::int[]) THEN NULL ELSE 1 + r % 2 END,
      CASE WHEN r > 18 THEN t.created_at + interval '2 days' END,
      t.created_at
    FROM generate_series(1, ${REQUESTS}::int) AS r
    CROSS JOIN LATERAL (
      SELECT (${FIRST_NAMES}::text[])[1 + (r + 3) % 20] AS first, (${LAST_NAMES}::text[])[1 + (r * 7) % 20] AS last
    ) AS n
    CROSS JOIN LATERAL (SELECT timestamptz '2024-08-01 08:00+00' + r * interval '1 day' AS created_at) AS t
    CROSS JOIN LATERAL (
      SELECT CASE WHEN r = ANY(${PENDING_WITH_EXISTING_USERNAME}::int[])
                  THEN (SELECT username FROM "user" WHERE id = 10 + 3 * r)
                  ELSE lower(n.first) || '.' || lower(n.last) || r END AS username
    ) AS u
  `.execute(db)

  const { rows: [orphans] } = await sql<{ n: number }>`
    WITH gone AS (DELETE FROM meeting WHERE id = ANY(${DELETED_MEETINGS}::int[]) RETURNING id)
    SELECT count(*)::int AS n FROM agenda_item WHERE meeting_id IN (SELECT id FROM gone)
  `.execute(db)
  // Only items of meetings that still exist, so the two orphan counts stay independent.
  const { rows: [orphanUploads] } = await sql<{ n: number }>`
    WITH gone AS (
      DELETE FROM agenda_item
      WHERE order_index = 2 AND meeting_id % 13 = 0 AND meeting_id IN (SELECT id FROM meeting)
      RETURNING id
    )
    SELECT count(*)::int AS n FROM fileupload WHERE agenda_item_id IN (SELECT id FROM gone)
  `.execute(db)

  // Drift: a table created by hand, outside migrations, with no primary key; its foreign
  // key came later as NOT VALID, so rows for since-deleted accounts were never checked.
  await sql`CREATE TABLE meeting_attendee (meeting_id integer NOT NULL, user_id integer NOT NULL, checked_in_at timestamptz)`.execute(db)
  await sql`
    INSERT INTO meeting_attendee (meeting_id, user_id, checked_in_at)
    SELECT m.id, 13 + (m.id * 5 + k * 17) % 68, m.start_time + k * interval '1 minute'
    FROM meeting AS m CROSS JOIN generate_series(1, 4) AS k
    UNION ALL
    SELECT l - ${USERS}::int, l, NULL
    FROM generate_series(${USERS + 1}::int, ${USERS + LEAVERS}::int) AS l
  `.execute(db)
  await sql`DELETE FROM "user" WHERE id > ${USERS}::int`.execute(db)
  await sql`
    ALTER TABLE meeting_attendee ADD CONSTRAINT ${sql.id(DEMO_NOT_VALID_FK)}
      FOREIGN KEY (user_id) REFERENCES "user" (id) NOT VALID
  `.execute(db)
  // Someone's guess at a search feature that never shipped: nothing filters by title.
  await sql`CREATE INDEX ${sql.id(DEMO_UNUSED_INDEX)} ON meeting (title)`.execute(db)

  // Rows were inserted with explicit ids; the app's next INSERT must not collide with them.
  for (const table of ['user', 'meeting', 'agenda_item', 'fileupload', 'registration_request']) {
    await sql`SELECT setval(pg_get_serial_sequence(format('%I', ${table}::text), 'id'), (SELECT max(id) FROM ${sql.table(table)}))`.execute(db)
  }

  return summarize(db, orphans.n, orphanUploads.n)
}

async function summarize(db: Kysely<any>, orphanAgendaItems: number, orphanFileUploads: number): Promise<DemoSeedSummary> {
  const { rows: [c] } = await sql<Record<string, number>>`
    SELECT
      (SELECT count(*)::int FROM "user") AS users,
      (SELECT count(*)::int FROM meeting) AS meetings,
      (SELECT count(*)::int FROM agenda_item) AS agenda_items,
      (SELECT count(*)::int FROM fileupload) AS file_uploads,
      (SELECT count(*)::int FROM registration_request) AS registration_requests,
      (SELECT count(*)::int FROM meeting_attendee) AS meeting_attendees,
      (SELECT count(*)::int FROM fileupload WHERE agenda_item_id IS NULL) AS unattached,
      (SELECT count(*)::int FROM meeting_attendee AS a LEFT JOIN "user" AS u ON u.id = a.user_id
        WHERE u.id IS NULL) AS violating,
      (SELECT count(*)::int FROM registration_request WHERE password IS NOT NULL) AS plain_text_passwords,
      (SELECT count(*)::int FROM registration_request AS r
        WHERE r.status = 'pending' AND EXISTS (SELECT 1 FROM "user" AS u WHERE u.username = r.username)) AS pending_dupes,
      (SELECT count(*)::int FROM meeting WHERE end_time < start_time) AS backwards,
      (SELECT count(*)::int FROM registration_request WHERE status = 'approved' AND processed_by IS NULL) AS no_processor,
      (SELECT count(*)::int FROM "user" WHERE avatar IS NOT NULL) AS avatars
  `.execute(db)
  const { rows: roles } = await sql<{ role: string; n: number }>`
    SELECT role, count(*)::int AS n FROM "user" GROUP BY role ORDER BY role
  `.execute(db)

  return {
    users: c.users,
    meetings: c.meetings,
    agendaItems: c.agenda_items,
    fileUploads: c.file_uploads,
    registrationRequests: c.registration_requests,
    meetingAttendees: c.meeting_attendees,
    problems: {
      orphanAgendaItems,
      orphanFileUploads,
      unattachedFileUploads: c.unattached,
      notValidForeignKey: { table: 'meeting_attendee', constraint: DEMO_NOT_VALID_FK, violatingRows: c.violating },
      unusedIndex: { table: 'meeting', index: DEMO_UNUSED_INDEX },
      tableWithoutPrimaryKey: 'meeting_attendee',
      roleSpellings: Object.fromEntries(roles.map((r) => [r.role, r.n])),
      plainTextPasswords: c.plain_text_passwords,
      pendingWithExistingUsername: c.pending_dupes,
      meetingsEndingBeforeStart: c.backwards,
      approvedWithoutProcessor: c.no_processor,
      avatars: c.avatars,
    },
  }
}
