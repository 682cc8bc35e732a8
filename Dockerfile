# Build: docker build -t vanban .
# Run:   docker compose up   (see docker-compose.yml)

# Bookworm for the builder too: with cgo the binary links against glibc, and it
# must not need a newer one than the runtime image has.
FROM golang:1.27-bookworm AS build
# The image's Go is used when it is at least go.mod's; an older one fetches it.
ENV GOTOOLCHAIN=auto CGO_ENABLED=1
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags='-s -w' -o /out/vanban ./cmd/vanban

FROM debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates tzdata \
		libreoffice-writer-nogui python3-uno fonts-liberation2 \
		poppler-utils tesseract-ocr tesseract-ocr-vie \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd --system --gid 10001 vanban \
	&& useradd --system --uid 10001 --gid vanban --home-dir /var/lib/vanban --shell /usr/sbin/nologin vanban \
	&& mkdir -p /var/lib/vanban/data \
	&& chown -R vanban:vanban /var/lib/vanban
COPY --from=build /out/vanban /usr/local/bin/vanban
ENV LISTEN_ADDR=:8080 \
	DATA_DIR=/var/lib/vanban/data
WORKDIR /var/lib/vanban
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/vanban"]
CMD ["serve", "--migrate"]
