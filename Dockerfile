# Switchboard: build stage (compiler, dev dependencies), then a runtime stage with
# production dependencies and the compiled output only.

FROM node:24-slim AS build
WORKDIR /app
# better-sqlite3 is compiled from source here, against this image's libc and Node headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --omit=optional --ignore-scripts

FROM node:24-slim
# The image's version label. The default is package.json's "version", written out
# (a Dockerfile cannot read it); test/deploy/kubernetes.test.ts checks they agree.
# A release build may pass its own: docker build --build-arg VERSION=0.1.0-rc.1 .
ARG VERSION=0.1.0
# OCI annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
# The source URL is package.json's "repository" (the test checks that too).
LABEL org.opencontainers.image.title="switchboard" \
      org.opencontainers.image.description="Declarative, no-code webhook-to-action router: one routes.yaml turns verified webhooks into HTTP calls." \
      org.opencontainers.image.source="https://github.com/switchboard-dev/switchboard" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production \
    SWITCHBOARD_STORE=sqlite:/data/switchboard.db \
    PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY public ./public
# The example config, so that `docker run -p 8080:8080 switchboard` alone works;
# mount a directory at /config to use your own (it hot-reloads).
COPY routes.example.yaml /config/routes.yaml
COPY fixtures /config/fixtures
RUN ln -s /app/bin/switchboard.js /usr/local/bin/switchboard \
 && mkdir -p /data \
 && chown node:node /data
USER node
EXPOSE 8080
VOLUME /data
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# No shell in between: SIGTERM reaches Switchboard, which drains and exits 0.
ENTRYPOINT ["switchboard"]
CMD ["serve", "-c", "/config/routes.yaml"]
