/**
 * The config's TypeScript types, generated from schemas/gateway.schema.json
 * (`npm run gen:types`; a test fails when they drift).
 */
export type { AigwGatewayConfiguration as GatewayConfig } from "./types.generated.js";
export type * from "./types.generated.js";
