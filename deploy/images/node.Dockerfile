# A stand-in for node:24-slim where no registry can be reached: the Debian base plus the Node
# binary and npm from the npm registry (staged by deploy/images/build.sh), and the official
# image's `node` user (uid 1000), so deploy/Dockerfile builds and runs the same on both.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
COPY stage/ /
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
