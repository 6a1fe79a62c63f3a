import { collectBody, type UpstreamBody } from "../../upstream/body.js";

/** Reads an upstream body whole, at most `maxBytes` (beyond it the rest is cut and null returned). */
export function readAll(body: UpstreamBody, maxBytes: number): Promise<Buffer | null> {
  return collectBody(body, maxBytes);
}

export function parseJson(bytes: Buffer | null): unknown {
  if (bytes === null || bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}
