/** One "Running upgrade a -> b, message" line of Alembic's log. */
export interface AlembicLoggedStep {
  direction: 'upgrade' | 'downgrade'
  /** The revision(s) it starts from; empty from base. */
  from: string[]
  /** The revision(s) it arrives at; empty at base. */
  to: string[]
  message: string | null
}

const RUNNING = /Running (upgrade|downgrade) ([^\n]*?) -> ([^\n]*)$/gm

function ids(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * The steps Alembic logged, in order (its INFO log, on stderr by default). After the arrow come
 * the revisions then the message, all comma-separated: leading parts that are known revisions
 * (or look like Alembic's hex ids when none are known) are revisions, the rest is the message.
 */
export function loggedSteps(output: string, known?: ReadonlySet<string>): AlembicLoggedStep[] {
  const isId = (s: string) => (known && known.size ? known.has(s) : /^[0-9a-f]{6,40}$/i.test(s))
  return [...output.matchAll(RUNNING)].map((m) => {
    const parts = m[3].split(', ')
    let n = 0
    while (n < parts.length && isId(parts[n].trim())) n++
    // "-> , message": to base.
    if (n === 0 && parts[0].trim() === '') n = 1
    return {
      direction: m[1] as 'upgrade' | 'downgrade',
      from: ids(m[2]),
      to: ids(parts.slice(0, n).join(',')),
      message: parts.slice(n).join(', ').trim() || null,
    }
  })
}

/**
 * The revision a step is about: the one it applies (upgrade) or undoes (downgrade). A merge
 * step undone names its merge revision; a step to base names the base revision.
 */
export function stepRevision(step: AlembicLoggedStep): string {
  return (step.direction === 'upgrade' ? step.to : step.from).join(', ')
}

/**
 * Alembic's error as a person reads it: the exception after the last traceback (frames are the
 * indented lines), or a `FAILED:` line of Alembic's own, else the last lines printed.
 */
export function alembicError(stderr: string, stdout = ''): string {
  const lines = stderr.replace(/\s+$/, '').split('\n')
  const tb = lines.map((l) => l.startsWith('Traceback (most recent call last)')).lastIndexOf(true)
  if (tb >= 0) {
    let i = tb + 1
    while (i < lines.length && (/^\s/.test(lines[i]) || lines[i] === '')) i++
    const rest = lines.slice(i).join('\n').trim()
    if (rest) return rest
  }
  const failed = lines.filter((l) => l.startsWith('FAILED:') || l.startsWith('ERROR'))
  if (failed.length) return failed.join('\n')
  const tail = [...lines.filter((l) => !/^INFO\s/.test(l)), ...stdout.trim().split('\n')].filter(Boolean).slice(-20)
  return tail.join('\n') || 'Alembic exited without a message'
}

/** Revision arguments Alembic takes (head, base, an id, -1, +2, ae10+2, branch@head), never an option. */
export const REVISION_PATTERN = /^(?:[-+]\d{1,4}|[A-Za-z0-9_][A-Za-z0-9_@.+-]{0,99})$/
