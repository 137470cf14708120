# lessllm on the official Bun image. Build: docker build -t lessllm . (docker-compose.yml does it for you)
#
# Dependencies come from package-lock.json, the repository's only lock file: `bun install` reads it
# (migrating it in memory), and --frozen-lockfile fails the build instead of resolving anything anew.
# --production leaves out the dev dependencies (TypeScript, the test SDKs and the bun/deno/node
# binaries the test suite uses). The same tag as the `bun` dev dependency in package.json.
FROM oven/bun:1.4.5 AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --production --frozen-lockfile

FROM oven/bun:1.4.5
WORKDIR /app
ENV NODE_ENV=production
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER bun
EXPOSE 8000
ENTRYPOINT ["bun", "src/main.ts"]
# The config is mounted here by docker-compose.yml; pass your own with `-v ./lessllm.yaml:/etc/lessllm/lessllm.yaml`.
CMD ["server", "--config", "/etc/lessllm/lessllm.yaml"]
