// Pull batches out of an async iterable: up to `max` items, waiting at most `lingerMs`
// after the first item of a batch, and at most `idleMs` for the first item.
// Returns [] on idle timeout and null when the iterable has ended.
const TIMEOUT = Symbol('timeout')

export function batcher (iterable) {
  const it = iterable[Symbol.asyncIterator]()
  let pending = null
  let ended = false

  return async function nextBatch (max, lingerMs, idleMs) {
    if (ended) return null
    const batch = []
    let timer
    let timeoutFired = false
    let wake
    const timeoutPromise = new Promise(resolve => { wake = resolve })
    const arm = ms => {
      clearTimeout(timer)
      timer = setTimeout(() => { timeoutFired = true; wake(TIMEOUT) }, ms)
    }
    arm(idleMs)
    try {
      while (batch.length < max) {
        pending ??= it.next()
        const r = await Promise.race([pending, timeoutPromise])
        if (r === TIMEOUT || timeoutFired) break
        pending = null
        if (r.done) { ended = true; break }
        batch.push(r.value)
        if (batch.length === 1) arm(lingerMs)
      }
    } finally {
      clearTimeout(timer)
    }
    return batch.length === 0 && ended ? null : batch
  }
}
