# Podspace's image: `docker build -t registry.example.com/platform/podspace:0.1.0 .`
# The build stage installs everything and runs `next build`; the runtime
# stage gets the build output and production dependencies only, and runs as
# the unprivileged `node` user on a filesystem it can't write to (the
# Kubernetes manifests in k8s/ mount emptyDirs on /tmp and .next/cache).

FROM node:24-slim AS build
WORKDIR /app
# node-pty (the local runtime's terminals) compiles a native addon.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The repository's .npmrc points node-gyp at Debian's Node headers in /usr;
# this image keeps them under /usr/local.
ENV npm_config_nodedir=/usr/local
# Dependencies first, so that a source change reuses this layer. postinstall
# generates the Prisma client from the schema.
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs ./scripts/
# Not `npm ci`: it rejects this lockfile, which lacks other platforms'
# optional binaries (see .ci/run). `npm install` installs the locked versions.
RUN npm install --no-audit --no-fund
COPY . .
RUN npx next build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf .next/cache

FROM node:24-slim
ENV NODE_ENV=production \
    PORT=3000
# restic reads the teams' backup repositories (listing, browsing, downloading,
# pruning, checking); backups themselves run in pods beside the volumes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends restic ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Owned by root and read-only to the `node` user that runs them.
COPY --from=build /app/package.json /app/server.ts /app/tsconfig.json /app/next.config.ts ./
COPY --from=build /app/scripts/start.sh ./scripts/
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/.next ./.next
COPY --from=build /app/lib ./lib
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/k8s/templates ./k8s/templates
RUN mkdir -p .next/cache && chown node:node .next/cache
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `npm start` without npm: the script execs Node with tsx's loader and the
# heap's ceiling, so SIGTERM reaches the server directly and it drains gracefully.
CMD ["scripts/start.sh"]
