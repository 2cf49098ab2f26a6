# syntax=docker/dockerfile:1
# The Omnia image: one image for every process; the manifests choose it with args (`start`, `sink`,
# `connectors`; the operator commands `status`, `dlq`, `explain` through `kubectl exec … omnia`). From the
# repository root:
#   docker build -t registry.example.com/omnia:0.1.0 .
# test/deploy/dockerfile.test.ts checks what this file must keep true (it is not built by the test suite).

# Build and run on the same Debian and Node: the native state stores (@nxtedition/rocksdb, classic-level) load
# the binaries npm installed in the build stage.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The native modules ship prebuilt binaries for linux-x64; elsewhere (linux-arm64) node-gyp compiles them.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci's postinstall applies these to the Kafka client (README, "Patched dependencies").
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
# Record types, TypeScript, the web app (dist/web); then only what the processes run keeps its place in dist/.
RUN npm run build && rm -rf dist/test dist/bench
# Production dependencies only: the compilers, linters, test runner and the rest of devDependencies go.
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node, whose handlers commit and close (bin/omnia.ts, sink.ts,
# connectors.ts), and reaps what node leaves.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Read at run time beside dist/: the Avro schemas and their history (avro/schema-loader.ts schemaDir()) and the
# SQL migrations (postgres/migrate.ts MIGRATIONS_DIR); the web app is dist/web (query-service/web-app.ts).
COPY --from=build /src/avro/schemas ./avro/schemas
COPY --from=build /src/postgres/migrations ./postgres/migrations
# `omnia` on the PATH for the operator commands; the state stores' directory, writable by the process's user
# (a volume in Kubernetes: the root filesystem is read-only there).
RUN chmod 0755 dist/bin/omnia.js \
  && ln -s /app/dist/bin/omnia.js /usr/local/bin/omnia \
  && mkdir -p /var/lib/omnia/state \
  && chown 10001:10001 /var/lib/omnia/state
ENV OMNIA_STATE_DIR=/var/lib/omnia/state
VOLUME ["/var/lib/omnia/state"]
USER 10001:10001
# query service, webhook ingress, sink health and metrics, Slick egress health and metrics, the processors' admin port (/metrics, /docs)
EXPOSE 8080 8090 9465 9466 9464
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/bin/omnia.js"]
CMD ["start"]
