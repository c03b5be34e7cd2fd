/**
 * What the sign-in form reads at the start of an error from next-auth's credentials providers:
 * ask for the second factor (the signed challenge follows the prefix), or start again from the
 * password. Shared by the server (auth-options.ts) and the login form.
 */
export const SECOND_FACTOR_REQUIRED = 'second-factor:'
export const SIGN_IN_AGAIN = 'sign-in-again:'

export type SignInAnswer =
  | { kind: 'second_factor'; challenge: string }
  | { kind: 'restart'; message: string }
  | { kind: 'error'; message: string }

/** Reads the error next-auth handed back to signIn(). */
export function readSignInError(error: string | null | undefined): SignInAnswer {
  const text = error && error !== 'CredentialsSignin' ? error : 'Wrong e-mail or password.'
  if (text.startsWith(SECOND_FACTOR_REQUIRED)) return { kind: 'second_factor', challenge: text.slice(SECOND_FACTOR_REQUIRED.length) }
  if (text.startsWith(SIGN_IN_AGAIN)) return { kind: 'restart', message: text.slice(SIGN_IN_AGAIN.length) }
  return { kind: 'error', message: text }
}
