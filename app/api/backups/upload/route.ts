import { z } from 'zod'
import { streamRouteAction } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { backupSetup } from '@/lib/backups/server-backups'
import { acceptUpload } from '@/lib/backups/upload'

export const dynamic = 'force-dynamic'

/** The browser sends the file's name URI-encoded (a header is Latin-1); a malformed one is kept as sent. */
function fileName(header: string | null): string | undefined {
  if (!header) return undefined
  try {
    return decodeURIComponent(header)
  } catch {
    return header
  }
}

const UploadInput = z.object({
  name: z.string().max(255).optional(),
  declaredBytes: z.number().optional(),
  body: z.custom<ReadableStream<Uint8Array>>((v) => v instanceof ReadableStream, { message: 'send the dump as the body' }),
  signal: z.custom<AbortSignal>((v) => v === undefined || v instanceof AbortSignal).optional(),
})

/**
 * POST /api/backups/upload with a custom-format dump as the raw body (admins): streamed to disk
 * under BACKUP_UPLOAD_MAX_BYTES and kept only if `pg_restore --list` reads it. The body is read
 * only after origin, session and role allowed the request.
 */
export const POST = streamRouteAction(
  {
    name: 'backups.upload',
    permission: 'backups.manage',
    input: UploadInput,
    target: (input) => (input.name ? `upload ${input.name}` : 'upload'),
    async run(ctx, input) {
      const s = await backupSetup()
      if ((input.declaredBytes ?? 0) > s.uploadMaxBytes) {
        await input.body.cancel().catch(() => {})
        throw new ActionError('too_large', `The upload is larger than the limit of ${s.uploadMaxBytes} bytes (BACKUP_UPLOAD_MAX_BYTES).`)
      }
      const r = await acceptUpload(ctx.stateDb, input.body, {
        dir: s.dir,
        pgBinDir: s.pgBinDir,
        target: { key: s.targetKey, database: s.targetDatabase },
        maxBytes: s.uploadMaxBytes,
        createdBy: ctx.user.email,
        signal: input.signal,
      })
      return {
        message: `Accepted ${input.name ?? 'the upload'} as ${r.file}: a ${r.kind} custom-format dump of ${r.entries} entries, ${r.sizeBytes} bytes.`,
        data: r,
        target: `backup ${r.id}`,
      }
    },
  },
  (request) => ({
    name: fileName(request.headers.get('x-file-name')),
    declaredBytes: request.headers.has('content-length') ? Number(request.headers.get('content-length')) : undefined,
    body: request.body,
    signal: request.signal,
  }),
)
