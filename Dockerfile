# 票码 Piaoma — container image. Every build step is a script CI also runs (test/e2e/image.test.ts
# runs scripts/build-image-fs.sh into a temporary folder, starts the result and checks /health).
#   docker build -t piaoma .
#   docker run -e DATABASE_URL=… -e PIAOMA_SECRET=… -p 3000:3000 piaoma
# deploy/compose.yaml runs PostgreSQL, two web processes behind nginx and one worker.

# Build: all dependencies (Vite builds the pages), then the image's tree in /image.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN scripts/build-image-fs.sh /image

# Run: the tree only (built pages, program, production dependencies), as the unprivileged `node`.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PIAOMA_DATA_DIR=/data
WORKDIR /app
COPY --from=build /image /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "bin/healthcheck.mjs"]
# SIGTERM drains requests, sweeps and jobs within shutdownSeconds (25 s): give it longer than that
# (docker stop -t 35, compose stop_grace_period: 35s).
STOPSIGNAL SIGTERM
CMD ["node", "bin/piaoma.mjs", "serve"]
