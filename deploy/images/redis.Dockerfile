# Redis from Debian's package, for tests on machines that cannot pull `redis:*`.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
# As the official image's entrypoint does, `redis-server` leaves protected mode: it would
# otherwise refuse every client that reaches it through a published port (not loopback inside
# the container). testcontainers' Redis module starts the container as `redis-server [args]`.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && printf '%s\n' '#!/bin/sh' \
      'if [ "$1" = redis-server ]; then shift; exec redis-server "$@" --protected-mode no; fi' \
      'exec "$@"' >/usr/local/bin/redis-entrypoint \
 && chmod +x /usr/local/bin/redis-entrypoint
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]
CMD ["redis-server"]
