import { z } from 'zod'
import { isRuleName, RULES, type RuleName } from '@/lib/alerts/rules'

const checkbox = z.preprocess((v) => v === true || v === 'on' || v === 'true', z.boolean())
export const ruleName = z.string().refine(isRuleName, { message: 'is not an alert rule' }) as unknown as z.ZodType<RuleName>

export const RuleRef = z.object({ rule: ruleName })

/** Minutes of silence: 0 lifts it; at most a week, so that nobody forgets a rule silenced for good. */
export const SilenceInput = z.object({
  rule: ruleName,
  minutes: z.coerce.number({ message: 'must be a number of minutes' }).int({ message: 'must be whole minutes' }).min(0, { message: 'must be 0 or more' }).max(7 * 24 * 60, { message: 'must be at most a week (10080 minutes)' }),
})

export const RuleSettingInput = z
  .object({
    rule: ruleName,
    enabled: checkbox,
    threshold: z.coerce.number({ message: 'must be a number' }).refine(Number.isFinite, { message: 'must be a number' }),
    forSeconds: z.coerce.number({ message: 'must be a number of seconds' }).int({ message: 'must be whole seconds' }).min(0, { message: 'must be 0 or more' }).max(86_400, { message: 'must be at most a day (86400 seconds)' }),
    severity: z.enum(['warning', 'critical'], { message: 'must be warning or critical' }),
  })
  .superRefine((v, ctx) => {
    if (!isRuleName(v.rule)) return
    const unit = RULES[v.rule].unit
    if (v.threshold < 0) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'must be 0 or more' })
    else if (unit === 'ratio' && v.threshold > 1) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'is a ratio: between 0 and 1 (0.8 is 80 %)' })
  })

const channelName = z
  .string()
  .trim()
  .min(1, { message: 'name the channel' })
  .max(60, { message: 'must be at most 60 characters' })

export const ChannelInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('webhook'),
    name: channelName,
    url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }),
    format: z.enum(['json', 'slack'], { message: 'must be json or slack' }),
  }),
  z.object({
    kind: z.literal('email'),
    name: channelName,
    to: z
      .string()
      .transform((v, ctx) => {
        const list = v.split(/[\s,]+/).filter(Boolean)
        if (list.length === 0 || list.length > 20 || !list.every((a) => z.email().safeParse(a).success)) {
          ctx.addIssue({ code: 'custom', message: 'must be 1 to 20 e-mail addresses separated by commas or spaces' })
          return z.NEVER
        }
        return list
      }),
  }),
], { message: 'kind must be webhook or email' })

const channelId = z.coerce.number({ message: 'must be a channel number' }).int({ message: 'must be a channel number' }).positive({ message: 'must be a channel number' })
export const ChannelRef = z.object({ id: channelId })
export const ChannelToggle = z.object({ id: channelId, enabled: checkbox })
/** A stored channel's number, or the name of one from the configuration. */
export const ChannelTest = z.object({ channel: z.union([z.literal('ALERT_WEBHOOK_URL'), z.literal('ALERT_EMAIL_TO'), z.string().regex(/^\d+$/, { message: 'must be a channel' })], { message: 'must be a channel' }) })
