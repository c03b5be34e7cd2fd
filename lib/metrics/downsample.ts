/**
 * Series on one shared time axis, as many points as a chart can show (issue 15: 30 days of
 * 5-minute points is 8,640 a series, about 1 MB for the Health page, where a chart is ~600 px wide).
 */
export interface ShapedColumns<K extends string> {
  /** Epoch milliseconds, ascending. */
  times: number[]
  /** The value at each time; null is a gap (no sample, or a counter reset), never a zero. */
  values: Record<K, (number | null)[]>
}

export interface SourceColumns<K extends string> extends ShapedColumns<K> {
  /** Aggregates only: each bucket's lowest and highest sample (a spike the average hides). */
  min?: Record<K, (number | null)[]>
  max?: Record<K, (number | null)[]>
}

/**
 * At most about `2 × buckets + 2` points a series (min/max per bucket, the "M4" idea): the time
 * axis is cut into `buckets` equal spans and each span's points become two, at its first and last
 * point's time, carrying each series' lowest and highest value in the order they occurred. So:
 *   - a spike survives (a span's maximum is drawn, where an average or every n-th point would hide it);
 *   - a gap survives: a row where every series is null (a missed sample, see series.ts) is kept and
 *     ends the span's run, so a line never joins across it; a series null for a whole span stays null;
 *   - the first and last points are the source's own, exact in time and value (the "latest" shown).
 * Aggregate rows bring their own min and max, so a single 5-minute row in a span still draws its
 * range (two points at its time). Each gap adds at most three points; without them the bound holds.
 * Series that already fit are returned unchanged.
 */
export function downsample<K extends string>(source: SourceColumns<K>, buckets: number): ShapedColumns<K> {
  const { times } = source
  const names = Object.keys(source.values) as K[]
  const n = times.length
  if (n <= 2 * buckets + 2 && !source.min) return { times, values: source.values }
  const low = source.min ?? source.values
  const high = source.max ?? source.values
  const out: ShapedColumns<K> = { times: [], values: Object.fromEntries(names.map((k) => [k, []])) as unknown as Record<K, (number | null)[]> }
  const push = (t: number, value: (k: K) => number | null) => {
    out.times.push(t)
    for (const k of names) out.values[k].push(value(k))
  }
  const row = (i: number) => push(times[i], (k) => source.values[k][i])
  const isGap = (i: number) => names.every((k) => source.values[k][i] === null)

  if (n === 0) return out
  const from = times[0]
  const width = Math.max(1, (times[n - 1] - from) / buckets)
  const bucketOf = (i: number) => Math.floor((times[i] - from) / width)

  row(0)
  let i = 1
  while (i < n - 1) {
    if (isGap(i)) {
      // One null row per gap is enough to break every line.
      if (!isGap(i - 1)) row(i)
      i++
      continue
    }
    const b = bucketOf(i)
    let j = i + 1
    while (j < n - 1 && !isGap(j) && bucketOf(j) === b) j++
    run(i, j)
    i = j
  }
  if (n > 1) row(n - 1)
  return out

  /** Points [i, j) of one span without a gap: their extremes, per series in the order they occurred. */
  function run(i: number, j: number) {
    if (j - i === 1 && !source.min) return row(i)
    const first: Partial<Record<K, number | null>> = {}
    const second: Partial<Record<K, number | null>> = {}
    for (const k of names) {
      let lo = -1
      let hi = -1
      for (let p = i; p < j; p++) {
        const l = low[k][p]
        const h = high[k][p]
        if (l !== null && (lo < 0 || l < (low[k][lo] as number))) lo = p
        if (h !== null && (hi < 0 || h > (high[k][hi] as number))) hi = p
      }
      if (lo < 0 || hi < 0) {
        first[k] = second[k] = null
        continue
      }
      const [a, b] = lo <= hi ? [low[k][lo], high[k][hi]] : [high[k][hi], low[k][lo]]
      first[k] = a
      second[k] = b
    }
    push(times[i], (k) => first[k] ?? null)
    push(times[j - 1], (k) => second[k] ?? null)
  }
}
