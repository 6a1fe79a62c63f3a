/** `gen_ai.system` of an upstream type (OpenTelemetry GenAI semantic conventions). */
export function genAiSystem(upstreamType: string): string | undefined {
  switch (upstreamType) {
    case "openai":
      return "openai";
    case "anthropic":
      return "anthropic";
    case "bedrock":
      return "aws.bedrock";
    case "ollama":
      return "ollama";
    case "mock":
      return "aigw.mock";
    default:
      return undefined;
  }
}
