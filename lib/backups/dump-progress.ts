/**
 * Follows pg_dump's and pg_restore's --verbose output: "dumping contents of table" / "processing
 * data for table" when a table's data starts, and in parallel mode "finished item N TABLE DATA name"
 * when a worker is done with one. Serially a table is done when the next one starts (or the tool exits).
 */
/** The archive entry a parallel --verbose line says a worker is done with ("finished item N TABLE DATA …"), or null. */
export function finishedItem(text: string): { id: number; what: string } | null {
  const m = /^pg_(?:dump|restore): finished item (\d+) (.*)$/.exec(text)
  return m ? { id: Number(m[1]), what: m[2] } : null
}

export class DumpProgress {
  private started = 0
  private finished = 0
  private parallel = false
  current: string | undefined

  /** Returns true when the line moved the progress. */
  line(text: string): boolean {
    const start = /^pg_(?:dump|restore): (?:dumping contents of|processing data for) table "(.*)"$/.exec(text)
    if (start) {
      this.started++
      this.current = start[1]
      return true
    }
    if (finishedItem(text)?.what.startsWith('TABLE DATA ')) {
      this.parallel = true
      this.finished++
      return true
    }
    return false
  }

  get done(): number {
    return this.parallel ? this.finished : Math.max(0, this.started - 1)
  }
}
