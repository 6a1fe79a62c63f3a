# syntax=docker/dockerfile:1
#
# aigw container image.
#
#   docker build -t aigw:0.1.0 .
#   docker run --rm -p 8080:8080 aigw:0.1.0          # serves the bundled demo config (mock upstream)
#   docker run --rm -p 8080:8080 -p 9090:9090 -v "$PWD/deploy:/etc/aigw:ro" \
#     -e AIGW_ADMIN_TOKEN=... aigw:0.1.0             # your gateway.yaml in ./deploy
#
# Mount a directory at /etc/aigw (not a single file): hot reload follows
# files replaced by rename and Kubernetes ConfigMap updates in a mounted
# directory. The runtime is Node.js 24 on Alpine; aigw itself needs Node.js
# >= 20.18, so NODE_VERSION=20 or 22 builds work too
# (docker build --build-arg NODE_VERSION=20 .).
ARG NODE_VERSION=24

# --- build: compile TypeScript to dist/ -------------------------------------
FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schemas ./schemas
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# --- deps: production dependencies only -------------------------------------
FROM node:${NODE_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs tsc, which is a dev dependency.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime -----------------------------------------------------------------
FROM node:${NODE_VERSION}-alpine AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
# The demo config (built-in mock upstream, admin on loopback); mount your own
# directory over /etc/aigw.
COPY gateway.yaml /etc/aigw/gateway.yaml
RUN ln -s /app/bin/aigw /usr/local/bin/aigw && chmod 0755 /app/bin/aigw
# The image's `node` user (uid 1000); Kubernetes runAsNonRoot sees a numeric uid.
USER 1000:1000
EXPOSE 8080 9090
# Admin port of the config (127.0.0.1 reaches 0.0.0.0 too); busybox wget, no curl.
ENV AIGW_ADMIN_PORT=9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${AIGW_ADMIN_PORT}/health" || exit 1
# node handles SIGTERM itself (graceful drain), so it can be PID 1.
ENTRYPOINT ["aigw"]
CMD ["serve", "--config", "/etc/aigw/gateway.yaml"]
