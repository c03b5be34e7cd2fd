import { readRoute } from '@/lib/auth/read-route'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { readBackupProgress } from '@/lib/backups/backup-progress'

export const dynamic = 'force-dynamic'

/** GET /api/backups/progress: the running backups', verifications', drills' and restores' progress, polled by the Backups page while one runs. */
export const GET = readRoute('dashboard.read', async () => readBackupProgress(stateDb(), (await targetIdentity(targetDb())).key))
