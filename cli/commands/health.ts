import { getDatabaseHealth } from '../../lib/health/database-health'
import type { CliContext } from '../context'

export async function healthCommand(ctx: CliContext): Promise<void> {
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
