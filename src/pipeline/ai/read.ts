import type { Readable } from "node:stream";
import { collect } from "../collect.js";

/** Reads an upstream body whole, at most `maxBytes` (beyond it the rest is cut and null returned). */
export function readAll(body: Readable, maxBytes: number): Promise<Buffer | null> {
  return collect(body, maxBytes, (b) => {
    b.on("error", () => undefined);
    b.destroy();
  });
}

export function parseJson(bytes: Buffer | null): unknown {
  if (bytes === null || bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}
