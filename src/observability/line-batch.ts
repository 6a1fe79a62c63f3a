/** What a `LineBatch` hands its batches to: sonic-boom in buffer mode, as pino.destination builds it. */
export interface BatchTarget {
  write(chunk: Buffer): unknown;
  flush?(): void;
  flushSync?(): void;
  readonly destroyed?: boolean;
}

/** A batch this much smaller than `maxBytes` is handed on as a copy of its size; a fuller one as it is (no copy). */
const COPY_BELOW = 0.5;

/**
 * Gathers whole log lines, encoded once into one buffer, and hands them on
 * as one `Buffer` per batch of at most `maxBytes` (a single longer line
 * goes alone). Every other way of batching strings measured or flattened
 * the same characters several times per line: sonic-boom in string mode
 * measures the UTF-8 length of the batch it is appending to at every write,
 * and encodes each batch twice more before writing it (see
 * docs/architecture.md, "Hot-path rules"). Lines keep their order; `flush`,
 * `flushSync` and `release` hand on what is gathered first. With
 * `maxBytes` at PIPE_BUF, every batch is whole lines that one write to a
 * pipe keeps together.
 */
export class LineBatch {
  private buffer: Buffer;
  private used = 0;

  constructor(
    private readonly target: BatchTarget,
    private readonly maxBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(maxBytes);
  }

  write(line: string): boolean {
    // A UTF-16 unit is at most 3 bytes of UTF-8: only a line that might not fit is measured.
    if (this.used + line.length * 3 > this.maxBytes) {
      const size = Buffer.byteLength(line);
      if (this.used + size > this.maxBytes) this.release();
      if (size > this.maxBytes) {
        if (this.target.destroyed !== true) this.target.write(Buffer.from(line));
        return true;
      }
    }
    this.used += this.buffer.write(line, this.used);
    if (this.used >= this.maxBytes) this.release();
    return true;
  }

  /**
   * `write` for a line known to hold ASCII only (the access line): one
   * byte per character, copied in without measuring or encoding it as
   * UTF-8. The caller guarantees it: any other character would be written
   * as its low byte.
   */
  writeAscii(line: string): boolean {
    const size = line.length;
    if (this.used + size > this.maxBytes) {
      this.release();
      if (size > this.maxBytes) {
        if (this.target.destroyed !== true) this.target.write(Buffer.from(line, "latin1"));
        return true;
      }
    }
    this.used += this.buffer.write(line, this.used, "latin1");
    if (this.used >= this.maxBytes) this.release();
    return true;
  }

  /**
   * Hands the gathered lines on as one buffer (no flush of the target),
   * which then belongs to the target. A destroyed target (stdout closed:
   * EPIPE) drops them, as pino stops writing then.
   */
  release(): void {
    if (this.used === 0) return;
    let chunk: Buffer;
    if (this.used < this.maxBytes * COPY_BELOW) {
      // A short batch (a periodic flush) is copied, so one waiting write holds only its own bytes.
      chunk = Buffer.from(this.buffer.subarray(0, this.used));
    } else {
      chunk = this.buffer.subarray(0, this.used);
      this.buffer = Buffer.allocUnsafe(this.maxBytes);
    }
    this.used = 0;
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
