import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** What /indexes and /tables share: the maintenance jobs widget and the Run buttons. */
export class MaintenancePages {
  readonly jobs: DataTablePart

  constructor(readonly page: Page) {
    this.jobs = new DataTablePart(page.getByTestId('maintenance-jobs'))
  }

  finding(kind: string, index: string): Locator {
    return this.page.locator(`[data-testid="index-finding"][data-kind="${kind}"][data-index="${index}"]`)
  }

  tableRow(qualified: string): Locator {
    return new DataTablePart(this.page.getByTestId('tables')).row('table', qualified)
  }

  /** Clicks a Run button inside `scope`, accepting the confirmation. */
  async run(scope: Locator, name: string | RegExp) {
    this.page.once('dialog', (d) => void d.accept())
    await scope.getByRole('button', { name, exact: true }).click()
  }

  /** What a Run button inside `scope` answered. */
  runStatus(scope: Locator): Locator {
    return scope.getByRole('status')
  }

  /** The status of the maintenance job whose statement contains `statement`. */
  jobStatus(statement: string): Locator {
    return this.jobs.rowWith(statement).getByTestId('job-status')
  }
}
