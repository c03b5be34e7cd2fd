import type { Kysely } from 'kysely'
import type { AppConfig } from '../lib/config'
import type { ParsedArgs } from './args'

export interface CliContext {
  args: ParsedArgs
  json: boolean
  config: AppConfig
  targetUrl: string
  /** The managed database. */
  target(): Kysely<any>
  /** The dashboard's own state database. */
  state(): Kysely<any>
  /** One JSON object on stdout. */
  print(value: unknown): void
  out(text: string): void
}
