declare module 'async-exit-hook' {
  function exitHook(hook: ((done: () => void) => void) | (() => void)): void
  namespace exitHook {
    function forceExitTimeout(ms: number): void
  }
  export default exitHook
}
