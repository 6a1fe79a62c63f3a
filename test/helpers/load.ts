import { Agent, request } from "undici";

export interface LoadReport {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Count of answers per `x-aigw-upstream`. */
  upstreams: Record<string, number>;
  firstError?: string;
}

/**
 * `clients` keep-alive clients sending `method path` back to back to `url`
 * until `stop()` resolves; counts statuses, socket errors and upstreams seen.
 */
export function runLoad(url: string, options: { clients: number; path: string; method?: string; body?: string }): { readonly requests: number; stop(): Promise<LoadReport> } {
  const agent = new Agent({ connections: options.clients, keepAliveTimeout: 10_000, pipelining: 1 });
  const report: LoadReport = { requests: 0, ok: 0, non2xx: 0, errors: 0, upstreams: {} };
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      report.requests++;
      try {
        const res = await request(`${url}${options.path}`, {
          method: (options.method ?? "GET") as "GET",
          body: options.body,
          headers: options.body === undefined ? {} : { "content-type": "application/json" },
          dispatcher: agent,
        });
        await res.body.text();
        const up = String(res.headers["x-aigw-upstream"] ?? "-");
        report.upstreams[up] = (report.upstreams[up] ?? 0) + 1;
        if (res.statusCode >= 200 && res.statusCode < 300) report.ok++;
        else {
          report.non2xx++;
          report.firstError ??= `status ${res.statusCode}`;
        }
      } catch (err) {
        report.errors++;
        report.firstError ??= String((err as Error).message);
      }
    }
  };
  const loops = Array.from({ length: options.clients }, () => loop());
  return {
    /** Requests sent so far (for pacing a test by traffic instead of time). */
    get requests() {
      return report.requests;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return report;
    },
  };
}
