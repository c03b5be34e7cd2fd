import { z } from 'zod'
import { type GuardedCall, runGuarded } from '@/lib/auth/guarded-run'
import { type Download, openDownload } from '@/lib/backups/download'
import { backupSetup } from '@/lib/backups/server-backups'
import { passContentLength } from '@/lib/http/content-length'

const STATUS: Record<string, number> = { unauthenticated: 401, forbidden: 403, invalid_input: 400, not_found: 404, decrypt_failed: 409, unavailable: 503 }

const DownloadInput = z.object({
  // Any text: what is not a catalogue id of this target is "not found", never a path.
  id: z.string().max(500),
  decrypt: z.boolean(),
})

function text(status: number, message: string): Response {
  return new Response(message + '\n', { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
}

/**
 * GET /api/backups/<id>/download[?decrypt=1]: a backup's file, for admins only (backups.download),
 * by its catalogue id, streamed from disk as the client reads it, with ranges for resuming. The
 * route checks session and role itself: viewers and operators get 403, and every attempt (refused
 * or not, encrypted or decrypted) is in the audit log.
 */
export async function downloadResponse(request: Request, id: string, call: Pick<GuardedCall, 'stateDb' | 'session' | 'clientIp' | 'logError'>): Promise<Response> {
  const url = new URL(request.url)
  const range = request.headers.get('range')
  const result = await runGuarded<typeof DownloadInput, Download>(
    {
      name: 'backups.download',
      permission: 'backups.download',
      input: DownloadInput,
      target: (input) => `backup ${input.id}`,
      async run(ctx, input) {
        const s = await backupSetup()
        const d = await openDownload(ctx.stateDb, s.dir, { id: input.id, targetKey: s.targetKey, decrypt: input.decrypt, range, keys: s.decrypt })
        const how = d.decrypted ? 'decrypted' : d.backup.encrypted ? 'encrypted, as stored' : 'as stored'
        const part = d.headers['Content-Range'] ? `, ${d.headers['Content-Range']}` : ''
        return { message: `Downloaded ${d.backup.file} (${how}${part})`, data: d }
      },
    },
    { ...call, rawInput: { id, decrypt: url.searchParams.get('decrypt') === '1' } },
  )
  if (!result.ok) return text(STATUS[result.code] ?? 500, result.message)
  const d = result.data!
  return new Response(d.body, { status: d.status, headers: passContentLength(d.headers) })
}
