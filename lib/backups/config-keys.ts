import fs from 'node:fs'
import type { AppConfig } from '../config'
import type { AgeKeys } from './age-header'

export interface ConfiguredKeys {
  /** What new backups are encrypted with. */
  encrypt: AgeKeys
  /** What opens backups for verify, drills, restores and decrypted downloads (null: recipients without identities). */
  decrypt: AgeKeys | null
}

/** Backup encryption from the configuration, or null when backups are not encrypted. */
export function backupKeys(config: Pick<AppConfig, 'BACKUP_ENCRYPTION_PASSPHRASE' | 'BACKUP_ENCRYPTION_RECIPIENTS' | 'BACKUP_ENCRYPTION_IDENTITY_FILE'>): ConfiguredKeys | null {
  if (config.BACKUP_ENCRYPTION_PASSPHRASE) {
    const k = { passphrase: config.BACKUP_ENCRYPTION_PASSPHRASE }
    return { encrypt: k, decrypt: k }
  }
  if (!config.BACKUP_ENCRYPTION_RECIPIENTS) return null
  const recipients = config.BACKUP_ENCRYPTION_RECIPIENTS.split(/[\s,]+/).filter(Boolean)
  const identities = config.BACKUP_ENCRYPTION_IDENTITY_FILE
    ? fs
        .readFileSync(config.BACKUP_ENCRYPTION_IDENTITY_FILE, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('AGE-SECRET-KEY-'))
    : []
  return { encrypt: { recipients }, decrypt: identities.length ? { recipients, identities } : null }
}
