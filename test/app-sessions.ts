import pg from 'pg'

/**
 * Sessions of "the application": single pg clients under an application name that is not the
 * dashboard's, so that the performance functions treat them as anyone else's sessions.
 */
export class AppSessions {
  private readonly clients: pg.Client[] = []

  constructor(private readonly url: string) {}

  async open(applicationName = 'dor-app', url = this.url): Promise<pg.Client & { pid: number }> {
    const client = new pg.Client({ connectionString: url, application_name: applicationName })
    // A terminated session reports its end here as well as on the failed query.
    client.on('error', () => {})
    await client.connect()
    this.clients.push(client)
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
    return Object.assign(client, { pid: rows[0].pid })
  }

  /** Starts a statement without waiting for it; the promise settles when the statement ends. */
  start(client: pg.Client, text: string, values?: unknown[]): Promise<{ ok: true } | { ok: false; code?: string; message: string }> {
    return client.query(text, values).then(
      () => ({ ok: true as const }),
      (e: { code?: string; message: string }) => ({ ok: false as const, code: e.code, message: e.message }),
    )
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.end().catch(() => {})))
  }
}

/** Polls until check returns a value (not undefined/false), or fails after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
