# A fresh machine for the README's two commands: the Debian base, Node 20 (npm's node@20, staged
# by deploy/images/fresh-machine-check.sh) and git, nothing else.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
COPY stage/ /
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home user \
 && node --version && npm --version && git --version
