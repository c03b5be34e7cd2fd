import { routeAction } from '@/lib/auth/action'
import { createUserSpec } from '@/lib/auth/user-actions'

/** POST /api/users: create a dashboard user (admins only), for scripts. */
export const POST = routeAction(createUserSpec)
