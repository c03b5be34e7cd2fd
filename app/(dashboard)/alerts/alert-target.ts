import 'server-only'
import { cache } from 'react'
import { loadConfig } from '@/lib/config'
import { targetDb } from '@/lib/db/server-dbs'
import { type TargetIdentity, targetIdentity } from '@/lib/db/target-identity'

/** The managed database's identity, read once per request (alerts are keyed by it). */
export const alertTarget = cache((): Promise<TargetIdentity> => targetIdentity(targetDb()))

/** The alert settings of the configuration: configured channels, SMTP, the storage limit. */
export function alertConfig() {
  return loadConfig()
}
