import 'server-only'
import { loadConfig } from '../config'
import { targetDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { serverEnv } from '../runtime/server-env'
import type { AgeKeys } from './age-header'
import { backupKeys } from './config-keys'
import { backupDirectory } from './backup-files'

/** What the web server's backup work needs: where, with which tools and keys, on which target. */
export interface BackupSetup {
  targetUrl: string
  targetKey: string
  targetDatabase: string
  dir: string
  pgBinDir: string
  /** What new backups are encrypted with (null: not encrypted). */
  encrypt: AgeKeys | null
  /** What opens encrypted backups (null: no key here). */
  decrypt: AgeKeys | null
  uploadMaxBytes: number
}

export async function backupSetup(): Promise<BackupSetup> {
  const env = serverEnv()
  const config = loadConfig()
  const keys = backupKeys(config)
  const target = await targetIdentity(targetDb())
  return {
    targetUrl: env.targetUrl,
    targetKey: target.key,
    targetDatabase: target.database,
    dir: backupDirectory(config.dataPath),
    pgBinDir: env.pgBinDir,
    encrypt: keys?.encrypt ?? null,
    decrypt: keys?.decrypt ?? null,
    uploadMaxBytes: config.BACKUP_UPLOAD_MAX_BYTES,
  }
}
