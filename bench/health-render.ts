import path from 'node:path'
import { chromium } from '@playwright/test'
import { build } from 'esbuild'
import { median } from './bench-kit'

let bundle: Promise<string> | undefined

/** The Health page's client component with React and recharts, as one script (built once per run). */
function healthBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [path.join(import.meta.dirname, 'health-charts-entry.tsx')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    tsconfig: path.join(import.meta.dirname, '..', 'tsconfig.json'),
    logLevel: 'error',
  }).then((r) => r.outputFiles[0].text)
  return bundle
}

export interface RenderTime {
  /** From handing over the JSON to every chart's lines drawn. */
  wallMs: number
  /**
   * The renderer main thread's CPU time over the same span (CDP ThreadTime): what the render
   * costs when the page has a core to itself; the wall time on a shared, loaded machine is longer.
   */
  cpuMs: number
}

/**
 * How long Chromium takes from the view's JSON to every chart having drawn its lines, median of
 * `rounds` fresh pages, in a 1280×900 window with the page's grid CSS.
 */
export async function renderInChromium(json: string, rounds = 3): Promise<RenderTime> {
  const script = await healthBundle()
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
  try {
    const times: RenderTime[] = []
    for (let r = 0; r < rounds; r++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Performance.enable')
      const busy = async () => {
        const { metrics } = await cdp.send('Performance.getMetrics')
        return (metrics.find((m) => m.name === 'ThreadTime')?.value ?? 0) * 1000
      }
      await page.setContent(
        `<!doctype html><html><head><style>.health-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:16px}.health-chart-plot{min-height:200px}</style></head><body><div id="root"></div></body></html>`,
      )
      await page.addScriptTag({ content: script })
      const before = await busy()
      const wallMs = await page.evaluate((j) => window.renderHealth(j), json)
      times.push({ wallMs, cpuMs: (await busy()) - before })
      await page.close()
    }
    return { wallMs: median(times.map((t) => t.wallMs)), cpuMs: median(times.map((t) => t.cpuMs)) }
  } finally {
    await browser.close()
  }
}
