import { getDatabaseHealth } from '../../lib/health/database-health'
import { JSON_FLAG } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

async function health(ctx: CliContext): Promise<void> {
  const health = await getDatabaseHealth(ctx.target())
  if (ctx.json) return ctx.print(health)
  const c = health.connections
  ctx.out(
    [
      `database     ${health.database}`,
      `server       PostgreSQL ${health.serverVersion}`,
      `size         ${health.sizeBytes} bytes`,
      `connections  ${c.total} of ${c.max} (${c.active} active, ${c.idleInTransaction} idle in transaction)`,
    ].join('\n'),
  )
}

export const healthCommand: Command = {
  help: 'health [--json]             server version, database size, connections',
  subcommands: { '': { flags: JSON_FLAG, summary: 'server version, database size and connections of the target' } },
  run: health,
}
