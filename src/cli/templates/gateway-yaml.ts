/**
 * The starter config `aigw init` writes. A TS module (not a .yaml file) so
 * it ships inside dist/. It must stay valid: test/cli/init.test.ts validates it.
 */
export const STARTER_CONFIG = `# yaml-language-server: $schema=./node_modules/aigw/schemas/gateway.schema.json
#
# aigw starter config, written by \`aigw init\`. It runs as is: every route
# answers from the built-in \`mock\` upstream (no API key, no network).
#
#   aigw validate gateway.yaml            # check it (CI: --format github)
#   aigw serve --config gateway.yaml      # run it; edits are hot-reloaded
#   curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \\
#     -d '{"model":"mock-1","messages":[{"role":"user","content":"Hello"}]}'
#
# To use real providers, uncomment their blocks below, export the keys they
# name, and point the routes at them. \`\${VAR}\` reads the environment;
# \`\${VAR:-default}\` gives a default. Every key is documented in the schema
# (\`aigw schema\`).
version: 1

server:
  listen: 0.0.0.0:8080          # data plane (OpenAI-compatible API)
  admin: 127.0.0.1:9090         # /health /ready /metrics /admin/*; keep it on loopback
  # or protect it with tokens to expose it to probes and Prometheus:
  # adminAuth: { tokens: [{ sha256: "<aigw hash-key>", role: operator }] }

observability:
  logs: { level: info, accessLog: true }   # one JSON line per request

# Who may call. A route lists the providers it accepts; a route without
# \`auth\` is public. Keys are committed as sha256 hashes:
#   printf %s "$KEY" | aigw hash-key
# auth:
#   - name: keys
#     type: apiKey                # Authorization: Bearer <key> or x-api-key
#     keys:
#       - { id: team-a-1, consumer: team-a, sha256: "<64 hex digits>" }
#       - { id: ci, consumer: ci, value: "\${CI_KEY}" }
#
# consumers:
#   - name: team-a
#     scopes: [chat]
#     models: ["gpt-4o*", "claude-*"]   # allow-list (globs)
#     budget: { usd: 100, period: month }

rateLimits:
  - name: per-ip
    algorithm: token_bucket     # token_bucket | leaky_bucket | sliding_window | fixed_window
    limit: 600                  # bursts of 600 requests...
    window: 1m                  # ...refilled at 600 per minute
    key: ip                     # consumer | ip | route | global | header:<name> | claim:<name>
  # - name: tpm
  #   algorithm: sliding_window
  #   limit: 200000
  #   window: 1m
  #   key: consumer
  #   cost: tokens              # count prompt + completion tokens

gateway:
  rateLimits: [per-ip]          # applied to every route

upstreams:
  - name: mock
    type: mock                  # answers deterministically, no network
    models: [mock-1, mock-1-mini]

  # - name: openai
  #   type: openai
  #   targets: [{ url: https://api.openai.com }]
  #   credentials: { apiKey: "\${OPENAI_API_KEY}" }
  #   models: [gpt-4o, gpt-4o-mini]
  #   timeouts: { connectMs: 2000, firstByteMs: 30000 }
  #   retries: { attempts: 2, on: [connect_error, 502, 503], budgetRatio: 0.2 }
  #
  # - name: claude
  #   type: anthropic             # the OpenAI API is translated to Messages
  #   targets: [{ url: https://api.anthropic.com }]
  #   credentials: { apiKey: "\${ANTHROPIC_API_KEY}" }
  #   models: [claude-sonnet-4-5, claude-haiku-4-5]
  #
  # - name: local
  #   type: ollama
  #   targets: [{ url: http://localhost:11434 }]
  #   models: [llama3.2]

# Precedence: an exact \`path\` beats a \`pathPrefix\`, a longer prefix beats a
# shorter one, then file order among routes of the same path.
routes:
  # - name: chat-openai
  #   match: { path: /v1/chat/completions, methods: [POST], model: "gpt-*" }
  #   auth: [keys]
  #   scopes: [chat]
  #   upstream: openai
  #   fallback: [claude]          # tried when openai fails or its breaker is open
  #
  # - name: chat-claude
  #   match: { path: /v1/chat/completions, methods: [POST], model: "claude-*" }
  #   auth: [keys]
  #   upstream: claude

  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    upstream: mock

  - name: embeddings
    match: { path: /v1/embeddings, methods: [POST] }
    upstream: mock
    cache: { ttl: 1h, force: true }   # embeddings are deterministic

# USD per 1M tokens, for cost tracking and budgets (globs; the longest
# literal prefix wins).
pricing:
  - { model: "mock-*", input: 0, output: 0 }
  # - { model: "gpt-4o", input: 2.5, output: 10 }
  # - { model: "gpt-4o-mini", input: 0.15, output: 0.6 }
  # - { model: "claude-sonnet-4-5*", input: 3, output: 15 }
  # - { model: "claude-haiku-4-5*", input: 1, output: 5 }
`;
