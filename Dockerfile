# syntax=docker/dockerfile:1

# The builder and the runtime are both Debian 12 (bookworm), so the glibc the
# binary is linked against is the one it runs on.
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# Dependencies first, built against a stand-in crate: editing src/ then
# rebuilds only tally itself, not the whole dependency tree.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src

# .dockerignore admits only what the build reads: the manifest, src/ and
# assets/ (Lua scripts, the OpenAPI document, the widget and the pages' assets
# are compiled in with include_str!) and examples/.
COPY . .
# COPY keeps the files' own mtimes, which may be older than the stand-in's
# build; touching the roots makes cargo rebuild the real crate.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && install -D -m 0755 target/release/tally /out/tally \
 && install -d -m 0700 /out/data

# distroless/cc carries glibc, libgcc and CA certificates and nothing else:
# no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tally" \
      org.opencontainers.image.description="Visit counters and a site poll for a public web portal, on Redis or an embedded store" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"

# Inside a container the listeners must face the pod network, not loopback.
# TALLY_DATA_DIR is used only when no Redis is configured.
ENV TALLY_LISTEN=0.0.0.0:8080 \
    TALLY_OPS_LISTEN=0.0.0.0:9090 \
    TALLY_LOG_FORMAT=json \
    TALLY_DATA_DIR=/data

COPY --from=builder --chown=65532:65532 /out/data /data
COPY --from=builder /out/tally /usr/local/bin/tally

# Numeric, so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/tally"]
