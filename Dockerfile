# Static binaries on a distroless base: no shell, runs as a non-root user.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/hvsim ./cmd/hvsim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
COPY examples/ /etc/hvbalancer/examples/
USER nonroot:nonroot
WORKDIR /home/nonroot
EXPOSE 5985
ENTRYPOINT ["/usr/local/bin/hvsim"]
CMD ["--fleet", "/etc/hvbalancer/examples/fleets/demo.yaml", "--listen", "0.0.0.0", "--base-port", "5985", "--state-dir", "/home/nonroot/hvsim"]
