# Static binaries on a distroless base: no shell, runs as a non-root user.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/hvbalancer ./cmd/hvsim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
# The examples sit in the non-root user's home, so that the demo's relative
# state_dir (../hvbalancer-state) is a directory that user may create:
#   docker run -p 9707:9707 IMAGE run --config /home/nonroot/examples/sim.yaml
# (with http.listen: 0.0.0.0:9707 to be reached from outside the container,
# and http.allow_insecure: true for the demo; docs/security.md).
COPY --chown=nonroot:nonroot examples/ /home/nonroot/examples/
USER nonroot:nonroot
WORKDIR /home/nonroot
# The daemon reads /etc/hvbalancer/config.yaml (mount it, with its password
# and token files); its state_dir must be a writable volume owned by the
# non-root user (uid 65532), its http.listen 0.0.0.0:9707 to be reached
# from outside the container, with a token file and TLS (docs/security.md).
# The simulated fleet is the other binary:
#   docker run --entrypoint /usr/local/bin/hvsim IMAGE --fleet /home/nonroot/examples/fleets/demo.yaml
EXPOSE 9707
ENTRYPOINT ["/usr/local/bin/hvbalancer"]
CMD ["run", "--config", "/etc/hvbalancer/config.yaml"]
