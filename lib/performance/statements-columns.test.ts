import { describe, expect, it } from 'vitest'
import { columnsFor } from './statements-columns'

// The columns each version of the extension has that this module looks at (see the table in statements-columns.ts).
const V17 = ['userid', 'dbid', 'toplevel', 'queryid', 'query', 'calls', 'total_exec_time', 'mean_exec_time', 'stats_since', 'minmax_stats_since']
const V15 = ['userid', 'dbid', 'toplevel', 'queryid', 'query', 'calls', 'total_exec_time', 'mean_exec_time', 'temp_blk_read_time']
const V13 = ['userid', 'dbid', 'queryid', 'query', 'plans', 'total_plan_time', 'calls', 'total_exec_time', 'mean_exec_time']
const V12 = ['userid', 'dbid', 'queryid', 'query', 'calls', 'total_time', 'min_time', 'max_time', 'mean_time', 'stddev_time']

describe('columnsFor', () => {
  it('reads *_exec_time from 1.8 on and *_time before, toplevel from 1.9, stats_since from 1.11', () => {
    expect(columnsFor('1.11', V17)).toMatchObject({ totalMs: 'total_exec_time', meanMs: 'mean_exec_time', toplevel: true, statsSince: true })
    expect(columnsFor('1.10', V15)).toMatchObject({ totalMs: 'total_exec_time', stddevMs: 'stddev_exec_time', toplevel: true, statsSince: false })
    expect(columnsFor('1.8', V13)).toMatchObject({ totalMs: 'total_exec_time', maxMs: 'max_exec_time', toplevel: false })
    expect(columnsFor('1.7', V12)).toEqual({
      version: '1.7',
      totalMs: 'total_time',
      meanMs: 'mean_time',
      minMs: 'min_time',
      maxMs: 'max_time',
      stddevMs: 'stddev_time',
      toplevel: false,
      info: false,
      statsSince: false,
    })
  })
})
