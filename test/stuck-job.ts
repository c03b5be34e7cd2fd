/**
 * A process that starts a background job and then stops in the middle of it, for tests that kill
 * it (kill -9) and look at what it left: `node --import tsx test/stuck-job.ts fix|run|backup` with
 * TARGET_URL, STATE_URL, (for a fix) FIX_FILE and (for a backup) BACKUP_DIR and PG_BIN_DIR. It
 * prints "stuck <id>" once it is mid-way: a fix after saving its first batch of rows, a run inside
 * its first check, a backup once pg_dump runs (its id is pg_dump's process id: the catalogue's is a uuid).
 */
import { createBackup } from '../lib/backups/create-backup'
import { createDb } from '../lib/db/connect'
import { startFixJob } from '../lib/integrity/fix-job'
import { startIntegrityRun } from '../lib/integrity/run-job'

const target = createDb(process.env.TARGET_URL!, { max: 2 })
const state = createDb(process.env.STATE_URL!, { max: 2 })
const forever = () => new Promise<never>(() => {})

async function main(): Promise<void> {
  if (process.argv[2] === 'fix') {
    const relation = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }
    await startFixJob(
      target,
      state,
      { relation, mode: 'delete', file: process.env.FIX_FILE!, total: 25, startedBy: 'stuck@test.local' },
      {
        batchSize: 5,
        onProgress: async (p) => {
          if (p.phase === 'saving' && p.changed === 0 && p.id > 0) {
            const saved = (await state.selectFrom('integrity_fix').select('saved').where('id', '=', p.id).executeTakeFirst())?.saved
            if (Number(saved) > 0) {
              console.log(`stuck ${p.id}`)
              await forever()
            }
          }
        },
      },
    )
  } else if (process.argv[2] === 'backup') {
    // The parent holds a lock on a table: pg_dump waits for it.
    let said = false
    await createBackup(state, {
      targetUrl: process.env.TARGET_URL!,
      dir: process.env.BACKUP_DIR!,
      pgBinDir: process.env.PG_BIN_DIR!,
      createdBy: 'stuck@test.local',
      onProgress: (p) => {
        if (p.pid && !said) {
          said = true
          console.log(`stuck ${p.pid}`)
        }
      },
    })
  } else {
    // The parent holds a lock on a table the first checks read: the run waits inside a check.
    const id = await startIntegrityRun(target, state, { startedBy: 'stuck@test.local', trigger: 'cli' })
    console.log(`stuck ${id}`)
  }
  await forever()
}

void main()
