# Tributary: the dashboard and the server in one small image.
#   docker build -t tributary .
#   docker run -p 8080:8080 -v tributary-data:/data tributary        (embedded mode)
# Scaled mode behind a load balancer: docker-compose.yml. More in docs/deploy.md.

# 1. The dashboard (web/dist), embedded into the binary by the next stage.
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# 2. The server. The workspace's manifests name every target, so the examples (bench/) and the
# API tests (tests/) are copied too, though only the binary is built.
FROM rust:1.95-slim-bookworm AS server
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/ crates/
COPY src/ src/
COPY migrations/ migrations/
COPY bench/ bench/
COPY tests/ tests/
COPY --from=web /src/web/dist web/dist
RUN cargo build --release --locked --bin tributary && strip target/release/tributary

# 3. The runtime: the binary, CA certificates for webhooks over TLS, a non-root user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home tributary
COPY --from=server /src/target/release/tributary /usr/local/bin/tributary
USER tributary
WORKDIR /data
ENV BIND=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:///data/tributary.db \
    TRIBUTARY_LOG__FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["tributary", "health"]
ENTRYPOINT ["tributary"]
CMD ["serve"]
