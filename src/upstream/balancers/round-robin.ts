/** Anything a balancer can pick. */
export interface Pickable {
  readonly weight: number;
}

/** Round robin over the targets with a non-zero weight. */
export class RoundRobin<T extends Pickable> {
  private next = 0;

  constructor(private readonly targets: readonly T[]) {}

  pick(): T | undefined {
    const n = this.targets.length;
    for (let i = 0; i < n; i++) {
      const target = this.targets[(this.next + i) % n]!;
      if (target.weight > 0) {
        this.next = (this.next + i + 1) % n;
        return target;
      }
    }
    return undefined;
  }
}
