// The plugin bench's gateway config, routes and bodies, shared by
// bench/plugins.mjs (CPU per request, side by side) and
// bench/instructions.mjs (instructions per request, callgrind).

// Twenty patterns of the kind a team writes: project code names, ticket and
// document ids, internal host names, markers. None occurs in the prompt.
export const PATTERNS = [
  "(?i)project\\s+(falcon|osprey|kestrel)",
  "(?i)internal use only",
  "(?i)strictly confidential",
  "\\bPOL-[0-9]{8}\\b",
  "\\bCLM-[0-9]{4}-[0-9]{4}\\b",
  "\\bJIRA-[0-9]{3,6}\\b",
  "\\b[a-z0-9-]+\\.corp\\.example\\.com\\b",
  "\\b10\\.20\\.[0-9]{1,3}\\.[0-9]{1,3}\\b",
  "(?i)do not distribute",
  "\\bACCT[0-9]{10}\\b",
  "\\bIBAN [A-Z]{2}[0-9]{2}[A-Z0-9 ]{10,30}\\b",
  "(?i)password\\s*[:=]",
  "(?i)secret\\s*[:=]",
  "\\bEMP-[0-9]{6}\\b",
  "(?i)salary (band|grade) [A-Z][0-9]",
  "\\bINV-[0-9]{2}-[0-9]{5}\\b",
  "(?i)merger with [A-Z][a-z]+",
  "\\b[A-Z]{3}-RESTRICTED\\b",
  "(?i)board minutes",
  "\\bcase #[0-9]{5,}\\b",
];

export function config(upstream) {
  const patterns = PATTERNS.map((p) => JSON.stringify(p)).join(", ");
  return `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { logs: { level: info, accessLog: true } }
upstreams:
  - { name: fake, type: http, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
  - { name: ai, type: openai, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
routes:
  - { name: plain, match: { path: /plain/v1/chat/completions }, upstream: fake, rewrite: { stripPrefix: /plain } }
  - name: headers
    match: { path: /headers/v1/chat/completions }
    upstream: fake
    rewrite: { stripPrefix: /headers }
    plugins:
      - { name: request-headers, config: { set: { x-route: "\${route}", x-request: "\${requestId}", x-team: platform }, remove: [x-debug] } }
      - { name: response-headers, config: { set: { cache-control: no-store, x-served-by: aigw }, remove: [openai-processing-ms] } }
      - { name: cors, config: { origins: ["https://app.example.com"], methods: [POST] } }
  - { name: chat, match: { path: /v1/chat/completions, headers: { x-bench: chat } }, upstream: ai }
  - name: guarded
    match: { path: /v1/chat/completions, headers: { x-bench: guarded } }
    upstream: ai
    plugins:
      - { name: prompt-guard, config: { policy: redact, patterns: [${patterns}] } }
`;
}

// A 4 KB prompt of ordinary text (a support conversation).
const SENTENCES = [
  "The customer reports that the export job stopped after the last update and asks whether the schedule was changed.",
  "We checked the logs of the nightly run and found that the job finished, but the file was written to the old folder.",
  "Please explain how to move the output to the new location and how to confirm that tomorrow's run uses it.",
  "They also want to know whether the retention period of 30 days still applies to the files written before the change.",
];
let text = "";
for (let i = 0; text.length < 4096; i++) text += (text === "" ? "" : " ") + SENTENCES[i % SENTENCES.length];
export const prompt = text.slice(0, 4096);
export const plainBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello in five words, please." }] });
export const chatBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "system", content: "You are a helpful support assistant." }, { role: "user", content: prompt }] });

const origin = { origin: "https://app.example.com" };
/** The same request (headers included) to both routes of a pair: only the route differs. */
export const routes = {
  plain: { path: "/plain/v1/chat/completions", body: plainBody, headers: origin },
  "3 header plugins": { path: "/headers/v1/chat/completions", body: plainBody, headers: origin },
  "chat, 4 KB prompt": { path: "/v1/chat/completions", body: chatBody, headers: { "x-bench": "chat" } },
  "+ prompt-guard, 20 patterns": { path: "/v1/chat/completions", body: chatBody, headers: { "x-bench": "guarded" } },
};

/** Each pair: [feature route, baseline route, target]. */
export const pairs = { "3 header plugins": ["3 header plugins", "plain", "5%"], "prompt-guard, 20 patterns, 4 KB": ["+ prompt-guard, 20 patterns", "chat, 4 KB prompt", "10%"] };
