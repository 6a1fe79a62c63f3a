import type { ErrorCode } from "./codes.js";

const brand = Symbol.for("aigw.error");

export interface AigwErrorOptions {
  status?: number;
  hint?: string;
  cause?: unknown;
}

/** The one error class of aigw: a stable `code`, an optional HTTP `status` and `hint`. */
export class AigwError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly hint: string | undefined;
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options: AigwErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AigwError";
    this.code = code;
    this.status = options.status;
    this.hint = options.hint;
  }

  /** Works across duplicate copies of the package, unlike `instanceof`. */
  static is(value: unknown): value is AigwError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
