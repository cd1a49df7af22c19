# syntax=docker/dockerfile:1
# Bulwark in a container. Build: docker build -t bulwark .   Run: docs/deployment.md.
#
# Node.js 24 on Debian 12 (bookworm) in both stages: 24 is the Node.js line the project supports
# and the one CI runs the whole suite on (ADR 052); better-sqlite3 12 (a native addon) is built in
# the first stage against exactly the Node.js ABI and glibc of the second, so both share one tag.

FROM node:24-bookworm AS build
WORKDIR /src
# The full image has python3, make and g++ for node-gyp (better-sqlite3 when no prebuilt fits).
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# tsc → dist/, vite → dist/console/; then only the production dependencies stay.
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# A fixed uid/gid, so that a host directory or secret file can be given to it (chown 10001).
RUN groupadd --system --gid 10001 bulwark \
 && useradd --system --uid 10001 --gid bulwark --home-dir /var/lib/bulwark --no-create-home \
      --shell /usr/sbin/nologin bulwark \
 && install -d -m 0700 -o bulwark -g bulwark /var/lib/bulwark
WORKDIR /opt/bulwark
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

ENV BULWARK_DATA_DIR=/var/lib/bulwark \
    BULWARK_HOST=0.0.0.0 \
    BULWARK_PORT=7272
# Everything the server writes is in the data directory: one volume holds the instance. The
# master key belongs elsewhere: a Docker secret, BULWARK_MASTER_KEY_FILE=/run/secrets/bulwark_master_key.
VOLUME /var/lib/bulwark
EXPOSE 7272
USER bulwark

# /healthz answers 200 without a token while the process runs; the certificate is the
# self-signed one by default, and the slim image has no curl: node's own https client.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:process.env.BULWARK_PORT||7272,path:'/healthz',rejectUnauthorized:false,timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]

# SIGTERM (docker stop) finishes in-flight requests, then exits 0; node is PID 1 and handles it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/bulwark/dist/main.js"]
# First run: initialises the volume and prints the admin password and API token once (docker logs).
CMD ["start", "--data-dir", "/var/lib/bulwark"]
