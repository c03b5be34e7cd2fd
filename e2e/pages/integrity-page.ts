import { expect, type Locator, type Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** A field by its accessible name, which leaves out the error shown inside its label. */
export const field = (form: Locator, name: string) => form.getByRole('textbox', { name, exact: true })

/** /integrity: the run controls, the results by section, and the settings panels below. */
export class IntegrityPage {
  readonly relations: DataTablePart
  readonly fixJobs: DataTablePart
  readonly latestRun: Locator
  readonly resultsSummary: Locator
  readonly runControls: Locator
  readonly customRules: Locator
  readonly addRule: Locator
  readonly enumSets: Locator
  readonly roleRules: Locator
  readonly addSoftRelation: Locator
  readonly addEnumSet: Locator
  readonly addRoleRule: Locator
  readonly runButton: Locator
  readonly runStatus: Locator
  readonly runProgress: Locator
  readonly roleChart: Locator
  /** Controls that change something; a viewer's page has none of them. */
  readonly fixLinks: Locator
  readonly validateButtons: Locator
  readonly removeButtons: Locator
  readonly acceptButtons: Locator

  constructor(readonly page: Page) {
    this.relations = new DataTablePart(page.getByTestId('relations-table'))
    this.fixJobs = new DataTablePart(page.getByTestId('fix-jobs'))
    this.latestRun = page.getByTestId('latest-run')
    this.resultsSummary = page.getByTestId('results-summary')
    this.runControls = page.getByTestId('run-checks')
    this.customRules = page.getByTestId('custom-rules')
    this.addRule = this.customRules.getByTestId('add-rule')
    this.enumSets = page.getByTestId('enum-sets')
    this.roleRules = page.getByTestId('role-rules')
    this.addSoftRelation = page.getByTestId('add-soft-relation')
    this.addEnumSet = page.getByTestId('add-enum-set')
    this.addRoleRule = page.getByTestId('add-role-rule')
    this.runButton = page.getByRole('button', { name: 'Run all checks' })
    this.runStatus = this.runControls.getByRole('status')
    this.runProgress = page.getByTestId('run-progress')
    this.roleChart = page.getByTestId('role-chart')
    this.fixLinks = page.getByRole('link', { name: 'Fix…' })
    this.validateButtons = page.getByRole('button', { name: 'Validate' })
    this.removeButtons = page.getByRole('button', { name: 'Remove' })
    this.acceptButtons = page.getByRole('button', { name: 'Accept' })
  }

  async goto() {
    await this.page.goto('/integrity')
  }

  relationRow(relation: string): Locator {
    return this.relations.row('relation', relation)
  }

  /** Opens a relation's orphan samples from its row. */
  async openSamples(relation: string) {
    await this.relationRow(relation).getByRole('link', { name: 'samples' }).click()
  }

  /** Opens a relation's fix form from its row (admins only). */
  async openFix(relation: string) {
    await this.relationRow(relation).getByRole('link', { name: 'Fix…' }).click()
  }

  /** A declared value set's row, by the column it checks ("public.fileupload.mime_type"). */
  enumSetRow(column: string): Locator {
    return this.enumSets.locator('tr').filter({ hasText: column })
  }

  /** A role rule's row, by its owner column ("agenda_item.user_id"). */
  roleRuleRow(column: string): Locator {
    return this.roleRules.locator('tr').filter({ hasText: column })
  }

  /** Clicks a settings row's Remove button. */
  async remove(row: Locator) {
    await row.getByRole('button', { name: 'Remove' }).click()
  }

  /** What a settings form answered after its last submit. */
  formStatus(form: Locator): Locator {
    return form.getByRole('status')
  }

  /** The error a form shows next to one field, by the field's input name. */
  fieldError(form: Locator, name: string): Locator {
    return form.locator(`[data-testid="field-error"][data-field="${name}"]`)
  }

  /** Every element id on the page, in document order. */
  ids(): Promise<string[]> {
    return this.page.locator('[id]').evaluateAll((els) => els.map((e) => e.id))
  }

  /** A link of the page's own table of contents ("Your rules", "DoR rules"). */
  contentsLink(name: string): Locator {
    return this.page.getByRole('link', { name })
  }

  /** The element an in-page link jumps to. */
  anchorTarget(id: string): Locator {
    return this.page.locator(`[id="${id}"]`)
  }

  /** A result row of a section (constraints, enums, roles, dor-rules) for one check, narrowed by its text. */
  finding(section: string, check: string, text?: string): Locator {
    const rows = new DataTablePart(this.page.getByTestId(`findings-${section}`)).row('check', check)
    return text ? rows.filter({ hasText: text }) : rows
  }

  /** What a result row says: its count badge, values, advice SQL and relation source. */
  count(row: Locator): Locator {
    return row.getByTestId('finding-count')
  }

  values(row: Locator): Locator {
    return row.getByTestId('finding-values')
  }

  adviceSql(row: Locator): Locator {
    return row.getByTestId('advice-sql')
  }

  source(row: Locator): Locator {
    return row.getByTestId('relation-source')
  }

  rule(name: string): Locator {
    return this.customRules.locator(`details[data-rule="${name}"]`)
  }

  /** Opens a custom rule, deletes it and accepts the confirmation. */
  async deleteRule(name: string) {
    const rule = this.rule(name)
    await rule.locator('summary').click()
    this.page.once('dialog', (d) => void d.accept())
    await rule.getByRole('button', { name: 'Delete rule' }).click()
  }

  /** Restores the rows a fix changed, from the page's list of fixes, accepting the confirmation. */
  async restoreFix(id: string) {
    this.page.once('dialog', (d) => void d.accept())
    await this.fixJobs.row('job-id', id).getByRole('button', { name: 'Restore' }).click()
  }

  restoreButton(row: Locator): Locator {
    return row.getByRole('button', { name: 'Restore' })
  }

  /** Clicks Run all checks on the page already open; the id of the run it says it started. */
  async requestRun(): Promise<string> {
    await this.runControls.getByRole('button', { name: 'Run all checks' }).click()
    await expect(this.runStatus).toHaveText(/^Started integrity run #\d+\.$/)
    return (await this.runStatus.textContent())!.match(/#(\d+)/)![1]
  }

  /** Starts a run; its id, once the page shows it as the latest run. */
  async startRun(): Promise<string> {
    const id = await this.requestRun()
    await expect(this.latestRun).toHaveAttribute('data-run-id', id)
    return id
  }

  /** Starts a run from the page and waits, without reloading, for the page to show it finished. */
  async runAllChecks(): Promise<string> {
    await this.goto()
    const id = await this.startRun()
    // The page refreshes itself every 2 s while the run is queued or running.
    await expect(this.latestRun).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 })
    await expect(this.resultsSummary).toHaveAttribute('data-run-id', id)
    // Finished: no progress left behind, and no "Started" line about a run that is over.
    await expect(this.runProgress).toHaveCount(0)
    await expect(this.runStatus).toHaveCount(0)
    return id
  }

  /** Adds a custom rule through its form; the status it answers. */
  async addCustomRule(name: string, query: string): Promise<Locator> {
    // React resets the form once the action and the refresh after it are done: fill after that.
    await expect(this.addRule.getByRole('button', { name: 'Add rule' })).toBeEnabled()
    await field(this.addRule, 'Name').fill(name)
    await field(this.addRule, 'SELECT returning the violating rows').fill(query)
    await this.addRule.getByRole('button', { name: 'Add rule' }).click()
    return this.addRule.getByRole('status')
  }

  /** Fills one of the settings forms (value sets, role rules) field by field and submits it. */
  async submit(form: Locator, fields: Record<string, string>, button: string) {
    for (const [name, value] of Object.entries(fields)) await field(form, name).fill(value)
    await form.getByRole('button', { name: button }).click()
  }
}
