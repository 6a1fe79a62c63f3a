/** The OpenAI-compatible operations the gateway translates; any other path on an AI route passes through natively. */
export type AiKind = "chat" | "embeddings";

export function aiKind(path: string): AiKind | null {
  if (path === "/v1/chat/completions") return "chat";
  if (path === "/v1/embeddings") return "embeddings";
  return null;
}
