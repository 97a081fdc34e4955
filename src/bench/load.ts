/** What one load run measured. */
export interface LoadFigures {
  /** Requests per second, the mean of autocannon's one-second samples. */
  rps: number;
  latency: { p50: number; p97_5: number; p99: number };
  /** Connection errors and timeouts (10 s without an answer), and answers that were not 2xx. */
  errors: number;
  requests: number;
}

/**
 * Load a URL with autocannon over keep-alive connections for `durationMs`. autocannon
 * is loaded here, on first use, so that no other command (and no supervisor) pays
 * for it.
 */
export async function loadUrl(url: string, connections: number, durationMs: number): Promise<LoadFigures> {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, connections, duration: durationMs / 1000, timeout: 10 });
  return {
    rps: result.requests.average,
    latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99 },
    // autocannon counts its timeouts among its errors too.
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
  };
}
