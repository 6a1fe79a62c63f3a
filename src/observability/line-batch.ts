/** What a `LineBatch` hands its batches to: sonic-boom, as pino.destination builds it. */
export interface BatchTarget {
  write(chunk: string): unknown;
  flush?(): void;
  flushSync?(): void;
  readonly destroyed?: boolean;
}

/**
 * Gathers whole log lines and hands them on as one string per batch of at
 * most `maxBytes` (a single longer line goes alone). sonic-boom in string
 * mode measures the UTF-8 length of the batch it is appending to at every
 * write, which flattens that growing string into a new one each time: with
 * its 16 KiB batches, 4.7 µs and several KiB of garbage per access line,
 * against about 1 µs here (see docs/architecture.md, "Hot-path rules"). Lines keep
 * their order; `flush`, `flushSync` and `release` hand on what is gathered
 * first. With `maxBytes` at PIPE_BUF, every batch is whole lines that one
 * write to a pipe keeps together.
 */
export class LineBatch {
  private lines: string[] = [];
  private bytes = 0;

  constructor(
    private readonly target: BatchTarget,
    private readonly maxBytes: number,
  ) {}

  write(line: string): boolean {
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.maxBytes && this.lines.length > 0) this.release();
    this.lines.push(line);
    this.bytes += size;
    if (this.bytes >= this.maxBytes) this.release();
    return true;
  }

  /**
   * Hands the gathered lines on as one string (no flush of the target). A
   * destroyed target (stdout closed: EPIPE) drops them, as pino stops
   * writing then.
   */
  release(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.length === 1 ? this.lines[0]! : this.lines.join("");
    this.lines = [];
    this.bytes = 0;
    if (this.target.destroyed !== true) this.target.write(chunk);
  }

  flush(): void {
    this.release();
    this.target.flush?.();
  }

  flushSync(): void {
    this.release();
    this.target.flushSync?.();
  }
}
