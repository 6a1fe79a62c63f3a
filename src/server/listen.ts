import type { AddressInfo, Server } from "node:net";
import { splitHostPort } from "../config/checks/server.js";

/** Listens on `host:port` (`:8080` = every interface) and resolves with the bound address. */
export function listen(server: Server, address: string): Promise<AddressInfo> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
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
