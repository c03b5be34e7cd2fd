import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /integrity/relation?…: one relation's orphans, its fix form and its fixes. */
export class RelationOrphansPage {
  readonly summary: Locator
  readonly samples: DataTablePart
  readonly fixPanel: Locator
  readonly fixCount: Locator
  readonly fixResult: Locator
  readonly fixJobs: DataTablePart
  readonly restoreButtons: Locator
  /** What the page of a relation the checks do not know says, and its way back. */
  readonly unknownRelation: Locator
  readonly backToIntegrity: Locator

  constructor(readonly page: Page) {
    this.summary = page.getByTestId('orphan-summary')
    this.samples = new DataTablePart(page.getByTestId('orphan-samples'))
    this.fixPanel = page.getByTestId('fix-panel')
    this.fixCount = this.fixPanel.getByTestId('fix-count')
    this.fixResult = this.fixPanel.getByTestId('fix-result')
    this.fixJobs = new DataTablePart(page.getByTestId('fix-jobs'))
    this.restoreButtons = page.getByRole('button', { name: 'Restore' })
    this.unknownRelation = page.getByText('That is not a relation the integrity checks know')
    this.backToIntegrity = page.getByRole('link', { name: 'Back to integrity' })
  }

  async goto(query: Record<string, string>) {
    return this.page.goto(`/integrity/relation?${new URLSearchParams(query)}`)
  }

  heading(): Locator {
    return this.summary.getByRole('heading')
  }

  /** A way of fixing the orphans, by its label ("Delete the rows", "Set … to NULL (keep the rows)"). */
  fixOption(label: string): Locator {
    return this.fixPanel.getByLabel(label)
  }

  /** The fix form's submit button, named for what it will do ("Set 15 references to NULL"). */
  fixSubmit(name: string): Locator {
    return this.fixPanel.getByRole('button', { name })
  }

  /** The field where the confirmation phrase is typed, by its label. */
  fixConfirmation(label: string): Locator {
    return this.fixPanel.getByLabel(label)
  }

  /** A fix job's row, by the job's id. */
  fixJob(id: string): Locator {
    return this.fixJobs.row('job-id', id)
  }

  fixProgress(job: Locator): Locator {
    return job.getByTestId('fix-progress')
  }
}
