# syntax=docker/dockerfile:1
# Build a static prws binary, then run it as a non-root user with /data as a volume.
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
COPY --from=build --chown=65534:65534 /out/data /data
USER 65534:65534
VOLUME ["/data"]
EXPOSE 9999
ENTRYPOINT ["/usr/local/bin/prws", "run", "--data-dir", "/data"]
