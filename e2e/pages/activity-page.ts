import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /activity: live sessions, the blocking tree, Cancel and Terminate per session. */
export class ActivityPage {
  readonly sessions: DataTablePart
  readonly blockingTree: Locator
  readonly notice: Locator
  /** The threshold notes beside the findings, each with its source. */
  readonly thresholds: Locator

  constructor(readonly page: Page) {
    this.sessions = new DataTablePart(page.getByTestId('sessions'))
    this.blockingTree = page.getByTestId('blocking-tree')
    this.notice = page.getByTestId('activity-notice')
    this.thresholds = page.getByTestId('threshold')
  }

  async goto() {
    await this.page.goto('/activity')
  }

  session(pid: number): Locator {
    return this.sessions.row('pid', pid)
  }

  cancelButton(pid: number): Locator {
    return this.session(pid).getByRole('button', { name: `Cancel the query of session ${pid}` })
  }

  terminateButton(pid: number): Locator {
    return this.session(pid).getByRole('button', { name: `Terminate session ${pid}` })
  }

  /** Clicks Cancel, accepts the confirmation, and returns the page's notice of the result. */
  async cancel(pid: number): Promise<Locator> {
    this.page.once('dialog', (d) => void d.accept())
    await this.cancelButton(pid).click()
    return this.notice
  }

  blockingNode(pid: number): Locator {
    return this.blockingTree.locator(`[data-testid="blocking-node"][data-pid="${pid}"]`)
  }

  /** A session waiting on `holder`, drawn under it in the blocking tree. */
  waiterOf(holder: number, waiter: number): Locator {
    return this.blockingNode(holder).locator(`[data-pid="${waiter}"]`)
  }
}
