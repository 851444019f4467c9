# syntax=docker/dockerfile:1
# Build a static prws binary, then run it as a non-root user with /data as a volume.
#
# The entrypoint is the binary itself and PRWS_DATA_DIR=/data is the
# --data-dir of every command, so arguments pass straight through:
#   docker run prws --promes http://tsdb-a:9090/api/v1/write,...   (the daemon)
#   docker run prws -v                                              (the version)
#   docker exec <container> prws queues                             (the CLI, same data dir)
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/prws . \
 && mkdir -p /out/data

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="prws" \
      org.opencontainers.image.description="Durable consistent-hash sharding proxy for Prometheus remote write" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/prws /usr/local/bin/prws
COPY --from=build /src/LICENSE /LICENSE
COPY --from=build --chown=65534:65534 /out/data /data
USER 65534:65534
ENV PRWS_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 9999
ENTRYPOINT ["/usr/local/bin/prws"]
