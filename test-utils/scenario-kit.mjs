// Helpers of the runtime scenarios (packages/*/test/runtimes/*.scenario.ts) and of the Node
// tests: plain JavaScript without imports, so Bun, Deno and workerd load it as it is.

/** What `fn` threw, as JSON (null when it did not throw): the brand check, the name and the code. */
export function refusal(fn, isPytrackError) {
  try {
    fn()
    return null
  } catch (error) {
    return { branded: isPytrackError(error), name: error.name, code: error.code }
  }
}

/** A decoded link in pytracking's names, as its vector files record it. */
export function pytrackingFields(result) {
  return {
    is_open_tracking: result.isOpenTracking,
    is_click_tracking: result.isClickTracking,
    tracked_url: result.trackedUrl,
    webhook_url: result.webhookUrl,
    metadata: result.metadata,
  }
}
