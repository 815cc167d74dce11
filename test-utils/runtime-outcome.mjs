// What a scenario returned or threw, as JSON: shared by the Bun/Deno runner and the Worker.
export async function outcomeOf(run, input) {
  try {
    return { value: await run(input) }
  } catch (error) {
    const { name, code, message } = error instanceof Error ? error : new Error(String(error))
    return { error: { name, code: code ?? null, message } }
  }
}
