import type { Locator } from '@playwright/test'

/** A components/data-table.tsx table: its rows by the data-* attribute each page puts on them. */
export class DataTablePart {
  constructor(readonly root: Locator) {}

  /** The row whose `data-<attribute>` is `value`. */
  row(attribute: string, value: string | number): Locator {
    return this.root.locator(`tbody tr[data-${attribute}="${value}"]`)
  }

  rowWith(text: string | RegExp): Locator {
    return this.root.locator('tbody tr').filter({ hasText: text })
  }

  body(): Locator {
    return this.root.locator('tbody')
  }

  rows(): Locator {
    return this.root.locator('tbody tr')
  }

  first(): Locator {
    return this.rows().first()
  }

  /** The header the table is sorted by, when sorted that way. */
  sortedBy(direction: 'ascending' | 'descending'): Locator {
    return this.root.locator(`th[aria-sort="${direction}"]`)
  }

  /** The cells of one column, by its position (1-based). */
  column(position: number): Locator {
    return this.root.locator(`tbody tr td:nth-child(${position})`)
  }
}
