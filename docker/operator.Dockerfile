# The MailAgent operator's image (localhost/mailagent-operator:dev): the
# `mailagent` CLI on Node.js 24 LTS, production dependencies only, non-root.
# Build context: the repository root, e.g.
#   docker build -f docker/operator.Dockerfile -t mailagent-operator .
# docker/build-operator-image.sh builds it offline with podman (it makes a local
# stand-in for the node base image when no registry is reachable).
# Entrypoint `mailagent`, default command `operator`; the Helm chart
# (charts/mailagent-operator) passes the operator's arguments.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Only for builds behind a TLS-intercepting proxy: the path of a CA bundle that
# is mounted into the build (build-operator-image.sh does so); unset otherwise.
ARG NODE_EXTRA_CA_CERTS
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY package.json package-lock.json ./
# All dependencies (TypeScript) to compile; --ignore-scripts: "prepare" would
# compile before the sources are here.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json
# Then keep what runs: production dependencies only, no optional ones.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /opt/mailagent
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin/mailagent ./bin/mailagent
RUN chmod 0755 bin/mailagent && ln -s /opt/mailagent/bin/mailagent /usr/local/bin/mailagent
# Not root: the chart runs it as 65532 too (restricted Pod Security Standard,
# read-only root filesystem: it writes nothing).
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["mailagent"]
CMD ["operator"]
