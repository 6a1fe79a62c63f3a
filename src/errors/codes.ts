/**
 * Stable error codes. Callers branch on `err.code`, never on the message.
 * Config mistakes are not errors but `Diagnostic`s (see config/diagnostic.ts).
 */
export const ErrorCode = {
  /** A file could not be read (missing, permissions). */
  ConfigRead: "AIGW_CONFIG_READ",
  /** A file could not be written (`aigw init`). */
  WriteFile: "AIGW_WRITE_FILE",
  /** The config has error findings; `err.diagnostics` holds them. */
  ConfigInvalid: "AIGW_CONFIG_INVALID",
  /** Bad command-line usage. */
  Usage: "AIGW_USAGE",
  /** A listener could not be bound (the address is in use, not permitted, or not on this machine). */
  Listen: "AIGW_LISTEN",
  /** A bug: an invariant did not hold. */
  Internal: "AIGW_INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
