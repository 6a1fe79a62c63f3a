import type { Registry } from "prom-client";

/**
 * Metrics the request path updates: a counter or histogram cell is a plain
 * object whose fields are bumped in place, with no label hashing or
 * validation per call (prom-client's children do both on every `inc` and
 * `observe`). The metric presents itself to a prom-client Registry through
 * the same `get()` shape prom-client's own metrics return, so /metrics, the
 * workers' aggregation and the exposition format are prom-client's.
 *
 * Cells are made once per label combination (values are bounded by the
 * config: see GatewayMetrics) and cached by the caller or by `cell()`.
 */

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricData {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  values: MetricValue[];
  aggregator: "sum" | "max";
}

/** What a prom-client Registry needs of a metric. */
abstract class HotMetric<Cell> {
  protected readonly cells = new Map<string, { labels: Record<string, string>; cell: Cell }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // Registry.registerMetric only reads `name` and calls `get()`; the cast is the structural bridge.
    registry.registerMetric(this as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  protected abstract newCell(): Cell;

  /** The cell for these label values (in `labelNames` order). */
  cell(...values: string[]): Cell {
    const key = values.length === 1 ? values[0]! : values.join("\u0000");
    let entry = this.cells.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ""));
      entry = { labels, cell: this.newCell() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  reset(): void {
    this.cells.clear();
  }
}

export interface CounterCell {
  value: number;
}

export class HotCounter extends HotMetric<CounterCell> {
  protected newCell(): CounterCell {
    return { value: 0 };
  }

  get(): MetricData {
    const values: MetricValue[] = [];
    for (const { labels, cell } of this.cells.values()) values.push({ labels, value: cell.value });
    return { name: this.name, help: this.help, type: "counter", values, aggregator: "sum" };
  }
}

/** A gauge without labels whose value the gateway keeps (requests in flight, active streams). */
export class HotGauge {
  value = 0;
  readonly labelNames: readonly string[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  inc(): void {
    this.value++;
  }

  dec(): void {
    this.value--;
  }

  get(): MetricData {
    return { name: this.name, help: this.help, type: "gauge", values: [{ labels: {}, value: this.value }], aggregator: "sum" };
  }

  reset(): void {
    this.value = 0;
  }
}

export class HistogramCell {
  sum = 0;
  count = 0;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class HotHistogram extends HotMetric<HistogramCell> {
  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry, readonly bounds: readonly number[]) {
    super(name, help, labelNames, registry);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  get(): MetricData {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, cell } of this.cells.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += cell.counts[i]!;
        values.push({ labels: { ...labels, le }, value: acc, metricName: bucket });
      });
      values.push({ labels: { ...labels, le: "+Inf" }, value: cell.count, metricName: bucket });
      values.push({ labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}
