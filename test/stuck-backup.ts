/**
 * A process that starts a backup and then stops in the middle of it, for tests that kill it
 * (kill -9) and look at what it left: `node --import tsx test/stuck-backup.ts` with TARGET_URL,
 * STATE_URL, BACKUP_DIR and PG_BIN_DIR. It prints "stuck <pid>" once pg_dump runs (pg_dump's
 * process id: the catalogue's id is a uuid). Queue jobs have their own in lib/jobs/worker-death.test.ts.
 */
import { createBackup } from '../lib/backups/create-backup'
import { createDb } from '../lib/db/connect'

const state = createDb(process.env.STATE_URL!, { max: 2 })
const forever = () => new Promise<never>(() => {})

async function main(): Promise<void> {
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
  await forever()
}

void main()
