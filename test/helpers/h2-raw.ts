import { connect, type TLSSocket } from "node:tls";

/**
 * A hand-driven HTTP/2 client over TLS that writes frames as given, for tests
 * that must misbehave in ways a conforming client (node:http2) refuses to:
 * streams past the advertised limit, a header block that never ends, headers
 * sent before the server's SETTINGS are acknowledged. RFC 9113 framing with
 * an HPACK encoder limited to literal fields (RFC 7541 6.2.2).
 */

export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
export const ErrorCode = { NO_ERROR: 0, PROTOCOL_ERROR: 1, CANCEL: 8, REFUSED_STREAM: 7, ENHANCE_YOUR_CALM: 11 } as const;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** RFC 7541 5.1 integer with an n-bit prefix. */
function integer(value: number, prefixBits: number, firstByteFlags = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByteFlags | value]);
  const out = [firstByteFlags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function stringLiteral(s: string): Buffer {
  const bytes = Buffer.from(s, "latin1");
  return Buffer.concat([integer(bytes.length, 7), bytes]);
}

/** A header block of literal fields without indexing, new names. */
export function headerBlock(headers: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(headers.flatMap(([name, value]) => [Buffer.from([0x00]), stringLiteral(name), stringLiteral(value)]));
}

/** A request header block as HEADERS (+ CONTINUATION) frames of at most `maxFrame` bytes each. */
export function headersFrames(stream: number, block: Buffer, options: { endStream?: boolean; endHeaders?: boolean; maxFrame?: number } = {}): Buffer {
  const max = options.maxFrame ?? 16_384;
  const parts: Buffer[] = [];
  for (let i = 0; i < block.length || i === 0; i += max) parts.push(block.subarray(i, i + max));
  const endHeaders = options.endHeaders ?? true;
  return Buffer.concat(
    parts.map((part, i) => {
      const last = i === parts.length - 1;
      const flags = (i === 0 && options.endStream === true ? Flag.END_STREAM : 0) | (last && endHeaders ? Flag.END_HEADERS : 0);
      return frame(i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, flags, stream, part);
    }),
  );
}

export function requestHeaders(authority: string, method: string, path: string, extra: readonly (readonly [string, string])[] = []): Buffer {
  return headerBlock([[":method", method], [":scheme", "https"], [":authority", authority], [":path", path], ...extra]);
}

/** A TLS connection that negotiated h2, collecting every frame the server sends. */
export class RawH2 {
  readonly frames: Frame[] = [];
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: TLSSocket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 9) {
        const length = this.buffer.readUIntBE(0, 3);
        if (this.buffer.length < 9 + length) break;
        this.frames.push({ type: this.buffer[3]!, flags: this.buffer[4]!, stream: this.buffer.readUInt32BE(5) & 0x7fffffff, payload: this.buffer.subarray(9, 9 + length) });
        this.buffer = this.buffer.subarray(9 + length);
      }
      this.wake();
    });
    socket.on("error", () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(url: string): Promise<RawH2> {
    const u = new URL(url);
    const socket = connect({ host: u.hostname, port: Number(u.port), ALPNProtocols: ["h2"], rejectUnauthorized: false, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    if (socket.alpnProtocol !== "h2") throw new Error(`ALPN negotiated ${String(socket.alpnProtocol)}, not h2`);
    return new RawH2(socket);
  }

  /** The client preface and an empty SETTINGS frame. */
  preface(): Buffer {
    return Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0)]);
  }

  write(...buffers: Buffer[]): void {
    this.socket.write(Buffer.concat(buffers));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `predicate` holds over the frames received so far (or rejects when the connection closes first). */
  async until(predicate: (frames: readonly Frame[]) => boolean, what: string): Promise<void> {
    while (!predicate(this.frames)) {
      if (this.closed) throw new Error(`connection closed before ${what}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves when the server closes the connection. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /**
   * The status of a response HEADERS frame: indexed from the static table
   * (200, 204, ...), or a literal with the indexed name `:status` and a raw
   * (not Huffman-coded) value; undefined otherwise.
   */
  static status(f: Frame): number | undefined {
    const indexed: Record<number, number> = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };
    const first = f.payload[0] ?? -1;
    if (indexed[first] !== undefined) return indexed[first];
    const literalStatus = first === 0x48 || first === 0x08 || first === 0x18; // with, without, never indexing; name index 8
    if (!literalStatus || f.payload[1] !== 0x03) return undefined;
    return Number(f.payload.subarray(2, 5).toString("latin1"));
  }

  close(): void {
    this.socket.destroy();
  }
}

export function rstCode(f: Frame): number {
  return f.payload.readUInt32BE(0);
}
