# nexus in a small image: `docker build -t nexus .`, then
#   docker run --rm -v "$PWD:/work" nexus datamodel diff git:main:config/crd config/crd
# Build stage: the release binary, with the lock file as committed.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Only what the build reads (no target/, no .git): the image does not depend on the checkout's state.
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY crates crates
COPY benches benches
COPY examples examples
# Without .git the commit is unknown: pass --build-arg NEXUS_GIT_COMMIT=$(git rev-parse --short=12 HEAD).
ARG NEXUS_GIT_COMMIT=unknown
ENV NEXUS_GIT_COMMIT=${NEXUS_GIT_COMMIT}
RUN cargo build --release --locked --bin nexus \
 && strip target/release/nexus

# Run stage: glibc and CA certificates only, a non-root user, nexus as the entrypoint.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin nexus
COPY --from=build /src/target/release/nexus /usr/local/bin/nexus
USER 10001
WORKDIR /work
ENTRYPOINT ["nexus"]
CMD ["--help"]
