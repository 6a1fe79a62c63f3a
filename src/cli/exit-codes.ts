/** Process exit codes (ESLint's convention; `plan --detailed-exitcode` adds its own). */
export const ExitCode = {
  Ok: 0,
  /** Findings: invalid config, lint errors, no route. */
  Findings: 1,
  /** Usage, I/O or internal error. */
  Usage: 2,
} as const;

export type ExitCodeValue = number;
