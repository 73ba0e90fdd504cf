# Local stand-in for redis:7 (no registry here): Debian's Redis 7; like the official image's
# entry point, a server started without a config file listens on every interface of the
# container with protected mode off, data in /data.
ARG DEBIAN_IMAGE=localhost/saphan-standin/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data
WORKDIR /data
ENTRYPOINT ["sh", "-c", "if [ \"$1\" = redis-server ]; then shift; exec redis-server --bind 0.0.0.0 --protected-mode no --dir /data \"$@\"; fi; exec \"$@\"", "entrypoint"]
CMD ["redis-server"]
