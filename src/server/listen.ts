import type { AddressInfo, Server } from "node:net";
import { splitHostPort } from "../config/checks/server.js";
import { ErrorCode } from "../errors/codes.js";
import { AigwError } from "../errors/errors.js";

/** Why a bind failed, in words, by the system's error code. */
const BIND_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: "the address is already in use (another process listens there)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "the address is not one of this machine's",
};

/** A bind failure as an `AIGW_LISTEN` error naming the address. */
export function listenError(address: string, err: Error): AigwError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = (code !== undefined ? BIND_FAILURES[code] : undefined) ?? err.message;
  return new AigwError(ErrorCode.Listen, `cannot listen on ${address}: ${reason}`, { cause: err });
}

/** Listens on `host:port` (`:8080` = every interface) and resolves with the bound address; rejects with `listenError`. */
export function listen(server: Server, address: string): Promise<AddressInfo> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(address, err));
    server.once("error", onError);
    server.listen({ port, host: host === "" ? undefined : host }, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `http://127.0.0.1:8080` for a bound address (IPv6 in brackets). */
export function urlOf(info: AddressInfo, scheme = "http"): string {
  const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
  return `${scheme}://${host}:${info.port}`;
}
