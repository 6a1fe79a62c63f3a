import { HttpError } from "../../../errors/http.js";

/** Refuses a request the Messages API cannot answer as the client expects: a 400 `invalid_body`. */
export function reject(message: string): never {
  throw new HttpError("invalid_body", message);
}
