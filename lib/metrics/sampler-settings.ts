import type { SamplerConfig } from './sampler-cycle'
import type { PoolUse } from './take-sample'

/** What the sampler job needs from the process running it, besides its connections. */
export interface SamplerSettings {
  /** METRICS_INTERVAL_SECONDS: seconds between samples. */
  intervalSeconds: number
  /** Retention, storage limit and alert delivery, from the configuration. */
  config: SamplerConfig
  /** The dashboard's own pools to the target at the time of a sample (the web server has them; the CLI's are not the dashboard's). */
  poolUse?(): PoolUse
}

/** The configuration's defaults, for a process that passes none (tests, benchmarks). */
export const DEFAULT_SAMPLER_SETTINGS: SamplerSettings = {
  intervalSeconds: 15,
  config: {
    METRICS_RAW_RETENTION_HOURS: 48,
    METRICS_5M_RETENTION_DAYS: 30,
    METRICS_1H_RETENTION_DAYS: 365,
    STORAGE_LIMIT_BYTES: undefined,
    SMTP_URL: undefined,
    ALERT_EMAIL_FROM: undefined,
    ALERT_EMAIL_TO: undefined,
    ALERT_WEBHOOK_URL: undefined,
    ALERT_WEBHOOK_FORMAT: 'json',
  },
}

type SamplerEnv = SamplerConfig & { METRICS_INTERVAL_SECONDS: number }

/** The sampler's settings from a loaded configuration. */
export function samplerSettings(config: SamplerEnv, poolUse?: () => PoolUse): SamplerSettings {
  return {
    intervalSeconds: config.METRICS_INTERVAL_SECONDS,
    config: {
      METRICS_RAW_RETENTION_HOURS: config.METRICS_RAW_RETENTION_HOURS,
      METRICS_5M_RETENTION_DAYS: config.METRICS_5M_RETENTION_DAYS,
      METRICS_1H_RETENTION_DAYS: config.METRICS_1H_RETENTION_DAYS,
      STORAGE_LIMIT_BYTES: config.STORAGE_LIMIT_BYTES,
      SMTP_URL: config.SMTP_URL,
      ALERT_EMAIL_FROM: config.ALERT_EMAIL_FROM,
      ALERT_EMAIL_TO: config.ALERT_EMAIL_TO,
      ALERT_WEBHOOK_URL: config.ALERT_WEBHOOK_URL,
      ALERT_WEBHOOK_FORMAT: config.ALERT_WEBHOOK_FORMAT,
    },
    poolUse,
  }
}
