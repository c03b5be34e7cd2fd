import 'server-only'
import { headers } from 'next/headers'
import { serverEnv } from '../runtime/server-env'
import { clientIpFrom } from './client-ip'

/** The client address of the request being served, as TRUST_PROXY says to read it. */
export async function requestClientIp(): Promise<string | null> {
  return clientIpFrom(await headers(), serverEnv().trustProxy)
}
