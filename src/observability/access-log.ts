import pino, { type Logger } from "pino";
import { clip } from "../errors/clip.js";
import type { RequestRecord } from "./request-record.js";
import type { Clock } from "../deps.js";

/** A client-supplied field as the line carries it: clipped (see clip.ts), so a line stays small whatever the request held. */
const echo = <T extends string | null | undefined>(v: T): T => (typeof v === "string" ? (clip(v) as T) : v);

/**
 * One line per request. Paths are logged without the query (it can carry
 * keys); no header is logged, so no credential can leak through here.
 * What the client chose (method, host, path, a token's subject, model,
 * the forwarded address) is clipped; the request id is bounded where it is
 * taken. This object is the line's documented shape; `AccessLog` writes the
 * same fields without building it.
 */
export function accessLogLine(ctx: RequestRecord, clock: Clock): Record<string, unknown> {
  return {
    type: "access",
    requestId: ctx.id,
    method: echo(ctx.req.method),
    host: echo(ctx.host),
    path: echo(ctx.path),
    route: ctx.route?.compiled.name ?? null,
    upstream: ctx.upstream,
    consumer: echo(ctx.consumer?.name ?? ctx.identity?.subject ?? null),
    model: echo(ctx.model ?? null),
    target: ctx.target,
    status: ctx.status,
    durationMs: Math.round((clock.monotonic() - ctx.startedAt) * 1000) / 1000,
    upstreamMs: Math.round(ctx.upstreamMs * 1000) / 1000,
    bytesIn: ctx.bytesIn,
    bytesOut: ctx.bytesOut,
    clientIp: echo(ctx.clientIp),
    error: ctx.errorCode,
    ...(ctx.usage === null ? {} : { inputTokens: ctx.usage.inputTokens, outputTokens: ctx.usage.outputTokens }),
    ...(ctx.costUsd === null ? {} : { costUsd: ctx.costUsd }),
    ...(ctx.cache === null ? {} : { cache: ctx.cache }),
    ...(ctx.trace === null ? {} : { traceId: ctx.trace.traceId }),
  };
}

/** Printable ASCII without `"` and `\\`: JSON's quoted form is the string between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const HAS_NON_ASCII = /[\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/g;
const escapeUnit = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
/** JSON of a string in ASCII only: what JSON.stringify writes, with every other UTF-16 unit as a `\\u` escape (the same value to any JSON reader). */
export const asciiJson = (v: string): string => {
  const json = JSON.stringify(v);
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeUnit) : json;
};
const str = (v: string | null | undefined): string => (v === null || v === undefined ? "null" : PLAIN.test(v) ? `"${v}"` : asciiJson(v));
const num = (v: number): string => (Number.isFinite(v) ? String(v) : "null");

/**
 * A client-chosen field's JSON (clipped), kept for the value it was last
 * made from: consecutive requests mostly repeat a host, a path, a model,
 * a peer, and a string comparison costs less than testing and quoting it
 * again. One entry, so it holds nothing a client could grow.
 */
class LastJson {
  private value: string | null | undefined = null;
  private json = "null";

  of(v: string | null | undefined): string {
    if (v !== this.value) {
      this.value = v;
      this.json = str(echo(v));
    }
    return this.json;
  }
}

/** "000" to "999": the milliseconds of a timestamp. */
const MILLIS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

const MAX_EXACT_MICROS = 2 ** 31 - 1;
const MAX_NAMES = 4096;
/**
 * `num(Math.round(ms * 1000) / 1000)`, the same text, from whole
 * microseconds: the two durations of every line skip V8's double-to-string
 * conversion (the shortest decimal of n/1000 is n/1000 written out with
 * its trailing zeros dropped, far below 2^53).
 */
export function millis(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros <= MAX_EXACT_MICROS)) return num(micros / 1000);
  const whole = Math.floor(micros / 1000);
  const frac = micros - whole * 1000;
  if (frac === 0) return String(whole);
  if (frac % 100 === 0) return `${whole}.${frac / 100}`;
  if (frac % 10 === 0) return `${whole}.${frac < 100 ? "0" : ""}${frac / 10}`;
  return `${whole}.${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}`;
}

/**
 * Writes access lines to the logger's own destination, as the logger would
 * write `logger.info(accessLogLine(ctx))` (same level and time fields, the
 * logger's bindings, the same keys in the same order), without pino's
 * generic serialiser: the access line is the one log line of every request,
 * and serialising it through pino cost more than the rest of the logging
 * (see docs/architecture.md, "Hot-path rules"). Every value is a string (as
 * JSON in ASCII: JSON.stringify's escapes, and `\\u` escapes for the rest),
 * a finite number or null, so the line is ASCII and a LineBatch copies it
 * in without a UTF-8 pass; a property test checks the output against
 * pino's. Honours the logger's level at every call.
 */
export class AccessLog {
  private readonly stream: { write(line: string): unknown };
  private readonly bindings: string;
  private lastMs = Number.NaN;
  private lastTime = "";
  private lastSecond = Number.NaN;
  private secondText = "";

  /** The destination's ASCII entry (a LineBatch's): it encodes a line with no UTF-8 pass, and every line here is ASCII. */
  private readonly ascii: ((line: string) => unknown) | null;
  private readonly method = new LastJson();
  private readonly host = new LastJson();
  private readonly path = new LastJson();
  private readonly model = new LastJson();
  private readonly clientIp = new LastJson();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    const self = logger as unknown as Record<symbol, unknown>;
    this.stream = self[pino.symbols.streamSym] as { write(line: string): unknown };
    this.bindings = (self[pino.symbols.chindingsSym] as string | undefined) ?? "";
    const writeAscii = (this.stream as { writeAscii?: (line: string) => unknown }).writeAscii;
    this.ascii = typeof writeAscii === "function" && !HAS_NON_ASCII.test(this.bindings) ? writeAscii.bind(this.stream) : null;
  }

  write(ctx: RequestRecord): void {
    if (!this.logger.isLevelEnabled("info")) return;
    if (this.ascii !== null) this.ascii(this.line(ctx));
    else this.stream.write(this.line(ctx));
  }

  /** The JSON line (with its newline). */
  line(ctx: RequestRecord): string {
    const clock = this.clock;
    let line =
      `{"level":"info","time":"${this.isoTime()}"${this.bindings},"type":"access","requestId":${str(ctx.id)},"method":${this.method.of(ctx.req.method)},"host":${this.host.of(ctx.host)},"path":${this.path.of(ctx.path)}` +
      `,"route":${this.name(ctx.route?.compiled.name)},"upstream":${this.name(ctx.upstream)},"consumer":${ctx.consumer !== null ? this.name(echo(ctx.consumer.name)) : str(echo(ctx.identity?.subject))},"model":${this.model.of(ctx.model)},"target":${this.name(ctx.target)}` +
      `,"status":${num(ctx.status)},"durationMs":${millis(clock.monotonic() - ctx.startedAt)},"upstreamMs":${millis(ctx.upstreamMs)}` +
      `,"bytesIn":${num(ctx.bytesIn)},"bytesOut":${num(ctx.bytesOut)},"clientIp":${this.clientIp.of(ctx.clientIp)},"error":${str(ctx.errorCode)}`;
    if (ctx.usage !== null) line += `,"inputTokens":${num(ctx.usage.inputTokens)},"outputTokens":${num(ctx.usage.outputTokens)}`;
    if (ctx.costUsd !== null) line += `,"costUsd":${num(ctx.costUsd)}`;
    if (ctx.cache !== null) line += `,"cache":${str(ctx.cache)}`;
    if (ctx.trace !== null) line += `,"traceId":${str(ctx.trace.traceId)}`;
    return line + "}\n";
  }

  /**
   * A name from the config (route, upstream, target, declared consumer) as
   * JSON, quoted once per name. The config bounds how many there are; the
   * cache is cleared if a long run of reloads ever fills it.
   */
  private name(v: string | null | undefined): string {
    if (v === null || v === undefined) return "null";
    let q = this.names.get(v);
    if (q === undefined) {
      if (this.names.size >= MAX_NAMES) this.names.clear();
      q = asciiJson(v);
      this.names.set(v, q);
    }
    return q;
  }
  private readonly names = new Map<string, string>();

  /**
   * pino's isoTime (`Date#toISOString`), formatted once per millisecond from
   * the text of its second, which is formatted once per second: a gateway
   * writes several lines per millisecond under load, and toISOString is
   * some 0.5 µs.
   */
  private isoTime(): string {
    // A Date keeps whole milliseconds (a fractional time is truncated).
    const now = Math.trunc(this.clock.now());
    if (now !== this.lastMs) {
      this.lastMs = now;
      const second = Math.floor(now / 1000);
      if (second !== this.lastSecond) {
        this.lastSecond = second;
        const iso = new Date(second * 1000).toISOString();
        // Every form toISOString has (years past 9999 included) ends in ".000Z".
        this.secondText = iso.slice(0, iso.length - 4);
      }
      this.lastTime = `${this.secondText}${MILLIS[now - second * 1000]}Z`;
    }
    return this.lastTime;
  }
}
