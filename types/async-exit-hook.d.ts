declare module 'async-exit-hook' {
  function exitHook(hook: ((done: () => void) => void) | (() => void)): void
  namespace exitHook {
    function forceExitTimeout(ms: number): void
    /** Stops listening to a process event ('exit', 'beforeExit', 'SIGINT', …). */
    function unhookEvent(event: string): void
  }
  export default exitHook
}
