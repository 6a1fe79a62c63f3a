import type { Logger } from "pino";
import type { RequestContext } from "../pipeline/types.js";
import type { PluginCall } from "./instance.js";
import type { RunShared } from "./route-plugins.js";
import type { PluginContext, PluginHeaders, PluginLogger, PluginResponse, PluginUsage } from "./types.js";

function pluginLogger(logger: Logger, requestId: string): PluginLogger {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (logger.isLevelEnabled(level)) logger[level]({ requestId, ...fields }, message);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** The context hooks get (built-ins: this object; custom plugins: a view with their own `log`). */
export class Call implements PluginCall {
  response: PluginResponse | null = null;
  bodyChanged = false;

  constructor(
    readonly ctx: RequestContext,
    private readonly shared: RunShared,
  ) {}

  get requestId(): string {
    return this.ctx.id;
  }
  get method(): string {
    return this.ctx.req.method ?? "GET";
  }
  get path(): string {
    return this.ctx.path;
  }
  get query(): string {
    return this.ctx.query;
  }
  get clientIp(): string {
    return this.ctx.clientIp;
  }
  get route(): string {
    return this.ctx.route?.compiled.name ?? "";
  }
  get consumer(): string | null {
    return this.ctx.consumer?.name ?? this.ctx.identity?.subject ?? null;
  }
  get model(): string | undefined {
    return this.ctx.model;
  }
  get headers(): PluginHeaders {
    return this.ctx.req.headers;
  }
  get body(): Record<string, unknown> | null {
    // Handed out to be changed: assume it is.
    if (this.ctx.json !== null) this.bodyChanged = true;
    return this.ctx.json;
  }
  set body(value: Record<string, unknown> | null) {
    this.ctx.json = value;
    this.bodyChanged = true;
  }
  get usage(): PluginUsage | null {
    return this.ctx.usage;
  }
  get costUsd(): number | null {
    return this.ctx.costUsd;
  }
  get log(): PluginLogger {
    return pluginLogger(this.shared.logger, this.ctx.id);
  }
  markBodyChanged(): void {
    this.bodyChanged = true;
  }
}

/** A custom plugin's view: the shared context, with its own logger. */
export function viewFor(call: Call, logger: Logger): PluginContext {
  return {
    get requestId() {
      return call.requestId;
    },
    get method() {
      return call.method;
    },
    get path() {
      return call.path;
    },
    get query() {
      return call.query;
    },
    get clientIp() {
      return call.clientIp;
    },
    get route() {
      return call.route;
    },
    get consumer() {
      return call.consumer;
    },
    get model() {
      return call.model;
    },
    get headers() {
      return call.headers;
    },
    get body() {
      return call.body;
    },
    set body(value) {
      call.body = value;
    },
    get response() {
      return call.response;
    },
    get usage() {
      return call.usage;
    },
    get costUsd() {
      return call.costUsd;
    },
    get log() {
      return pluginLogger(logger, call.requestId);
    },
  };
}
