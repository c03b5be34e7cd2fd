'use server'

import { revalidatePath } from 'next/cache'
import { acknowledgeAlert, silenceAlert } from '@/lib/alerts/alert-store'
import { addChannel, deleteChannel, getChannel, listChannels, setChannelEnabled } from '@/lib/alerts/channels'
import { sendTestNotification } from '@/lib/alerts/notify'
import { saveRuleSetting } from '@/lib/alerts/rule-settings'
import { RULES } from '@/lib/alerts/rules'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { ChannelInput, ChannelRef, ChannelTest, ChannelToggle, RuleRef, RuleSettingInput, SilenceInput } from './alert-inputs'
import { alertConfig, alertTarget } from './alert-target'

const done = () => revalidatePath('/alerts')

/** An operator has seen a firing alert (it is shown as acknowledged until it resolves). */
export const acknowledgeAlertAction = action({
  name: 'alerts.acknowledge',
  permission: 'alerts.respond',
  input: RuleRef,
  target: (input) => input.rule,
  stateTransaction: true,
  async run(ctx, input) {
    const { key } = await alertTarget()
    await acknowledgeAlert(ctx.stateDb, key, input.rule, ctx.user.email)
    done()
    return { message: `"${RULES[input.rule].title}" is acknowledged.` }
  },
})

/** No notifications of a rule for a while (its changes are still recorded); 0 minutes lifts the silence. */
export const silenceAlertAction = action({
  name: 'alerts.silence',
  permission: 'alerts.respond',
  input: SilenceInput,
  target: (input) => input.rule,
  stateTransaction: true,
  async run(ctx, input) {
    const { key } = await alertTarget()
    const until = input.minutes === 0 ? null : new Date(Date.now() + input.minutes * 60_000)
    await silenceAlert(ctx.stateDb, key, input.rule, until)
    done()
    const title = RULES[input.rule].title
    return { message: until ? `"${title}" is silenced until ${until.toISOString().replace('T', ' ').slice(0, 16)} UTC.` : `"${title}" notifies again.` }
  },
})

/** An admin's threshold, duration, severity or on/off for one rule of this database. */
export const saveRuleAction = action({
  name: 'alerts.rule.save',
  permission: 'alerts.manage',
  input: RuleSettingInput,
  target: (input) => input.rule,
  stateTransaction: true,
  async run(ctx, input) {
    const { key } = await alertTarget()
    const { rule, ...change } = input
    await saveRuleSetting(ctx.stateDb, key, rule, change, ctx.user.email)
    done()
    return { message: `"${RULES[rule].title}" is saved${input.enabled ? '' : ' (off)'}.` }
  },
})

export const addChannelAction = action({
  name: 'alerts.channel.add',
  permission: 'alerts.manage',
  input: ChannelInput,
  target: (input) => input.name,
  stateTransaction: true,
  async run(ctx, input) {
    const { key } = await alertTarget()
    const id = await addChannel(
      ctx.stateDb,
      key,
      input.kind === 'webhook' ? { name: input.name, kind: 'webhook', settings: { url: input.url, format: input.format } } : { name: input.name, kind: 'email', settings: { to: input.to } },
      ctx.user.email,
    )
    done()
    return { message: `Channel "${input.name}" added: it gets every firing and resolved alert.`, target: `${input.name} (#${id})` }
  },
})

export const setChannelEnabledAction = action({
  name: 'alerts.channel.toggle',
  permission: 'alerts.manage',
  input: ChannelToggle,
  target: (input) => `channel #${input.id}`,
  stateTransaction: true,
  async run(ctx, input) {
    const { key } = await alertTarget()
    if (!(await setChannelEnabled(ctx.stateDb, key, input.id, input.enabled))) throw new ActionError('not_found', `There is no channel #${input.id}.`)
    done()
    return { message: input.enabled ? `Channel #${input.id} is on.` : `Channel #${input.id} is off: it gets no notifications.` }
  },
})

export const deleteChannelAction = action({
  name: 'alerts.channel.delete',
  permission: 'alerts.manage',
  input: ChannelRef,
  target: (input) => `channel #${input.id}`,
  stateTransaction: true,
  async run(ctx, input) {
    const { key } = await alertTarget()
    const channel = await getChannel(ctx.stateDb, key, input.id)
    if (!channel || !(await deleteChannel(ctx.stateDb, key, input.id))) throw new ActionError('not_found', `There is no channel #${input.id}.`)
    done()
    return { message: `Channel "${channel.name}" is deleted.`, target: `${channel.name} (#${input.id})` }
  },
})

/** Sends a made-up notification to one channel now and says whether it arrived. */
export const testChannelAction = action({
  name: 'alerts.channel.test',
  permission: 'alerts.manage',
  input: ChannelTest,
  target: (input) => input.channel,
  async run(ctx, input) {
    const target = await alertTarget()
    const config = alertConfig()
    const channel = /^\d+$/.test(input.channel)
      ? await getChannel(ctx.stateDb, target.key, Number(input.channel))
      : ((await listChannels(ctx.stateDb, target.key, config)).find((c) => c.id === null && c.name === input.channel) ?? null)
    if (!channel) throw new ActionError('not_found', `There is no channel ${/^\d+$/.test(input.channel) ? '#' : ''}${input.channel}.`)
    const r = await sendTestNotification(channel, target, { smtpUrl: config.SMTP_URL, from: config.ALERT_EMAIL_FROM })
    if (!r.ok) throw new ActionError('unavailable', `The test notification to "${channel.name}" failed: ${r.error}.`)
    return { message: `A test notification was sent to "${channel.name}".`, target: channel.name }
  },
})
