/** What balancers read of a target. */
export interface Balanced {
  readonly weight: number;
  /** Requests in flight (until their body ends). */
  inFlight: number;
  /** Smoothed time to response headers, ms (p2c_ewma). */
  ewmaMs: number;
  /** Running weight of smooth weighted round robin. */
  currentWeight: number;
}

/** Picks one of the targets that can take traffic now (never an empty list). */
export type Balancer<T extends Balanced> = (available: readonly T[]) => T;

/** Round robin over the available targets with a non-zero weight. */
export function roundRobin<T extends Balanced>(): Balancer<T> {
  let next = 0;
  return (available) => {
    const n = available.length;
    for (let i = 0; i < n; i++) {
      const t = available[(next + i) % n]!;
      if (t.weight > 0) {
        next = (next + i + 1) % n;
        return t;
      }
    }
    return available[next++ % n]!;
  };
}

/** The target with the fewest requests in flight (ties: the first in file order). */
export function leastConnections<T extends Balanced>(): Balancer<T> {
  return (available) => {
    let best = available[0]!;
    for (const t of available) if (t.weight > 0 && (t.inFlight < best.inFlight || best.weight === 0)) best = t;
    return best;
  };
}

/**
 * Smooth weighted round robin, as nginx does it: every pick adds each
 * target's weight to its running weight, takes the largest, and lowers that
 * one by the total. A 3:1 split goes a, a, b, a (interleaved, never bursty).
 */
export function weighted<T extends Balanced>(): Balancer<T> {
  return (available) => {
    let total = 0;
    let best: T | undefined;
    for (const t of available) {
      t.currentWeight += t.weight;
      total += t.weight;
      if (best === undefined || t.currentWeight > best.currentWeight) best = t;
    }
    best!.currentWeight -= total;
    return best!;
  };
}

/**
 * Power of two choices over a latency EWMA: two distinct random targets,
 * the one with the lower (latency × (in flight + 1)) wins, so a slow target
 * gets less traffic without starving (Finagle's P2C-EWMA).
 */
export function p2cEwma<T extends Balanced>(random: () => number): Balancer<T> {
  const score = (t: T): number => (t.ewmaMs + 1) * (t.inFlight + 1);
  return (available) => {
    const usable = available.filter((t) => t.weight > 0);
    const list = usable.length > 0 ? usable : available;
    if (list.length === 1) return list[0]!;
    const i = Math.floor(random() * list.length);
    let j = Math.floor(random() * (list.length - 1));
    if (j >= i) j++;
    const a = list[i]!;
    const b = list[j]!;
    return score(a) <= score(b) ? a : b;
  };
}

export function createBalancer<T extends Balanced>(kind: string | undefined, random: () => number): Balancer<T> {
  switch (kind) {
    case "least_connections":
      return leastConnections();
    case "weighted":
      return weighted();
    case "p2c_ewma":
      return p2cEwma(random);
    default:
      return roundRobin();
  }
}
