/**
 * A service process on loopback, for the benches that start one (bench/load.ts): the wait for
 * /v1/health and the metrics scrape (free ports: test/support/redis-server.ts, as bench/scale-out.ts).
 */

/** Polls GET /v1/health every second until 200, at most `seconds` times. */
export async function waitForHealth(url: string, seconds: number): Promise<void> {
  for (let attempt = 0; attempt < seconds; attempt++) {
    const status = await fetch(`${url}/v1/health`).then(
      (response) => response.status,
      () => 0,
    )
    if (status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  throw new Error(`the service did not become ready within ${seconds} s`)
}

/** The service's Prometheus metrics without labels, by name. */
export async function scrape(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const values: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const match = /^([a-z0-9_]+) ([0-9.eE+-]+)$/.exec(line)
    if (match) values[match[1]] = Number(match[2])
  }
  return values
}
