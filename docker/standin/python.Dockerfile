# Local stand-in for python:3.X-slim (no registry here): the local Debian bookworm base plus the
# machine's own CPython of the same minor version under /usr/local, as in the public image.
# Built by scripts/compose_test.sh; the context holds usr-local/ (bin, lib, include).
ARG DEBIAN_IMAGE=localhost/saphan-standin/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY usr-local/ /usr/local/
ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
RUN ldconfig \
 && python3 -m ensurepip --default-pip >/dev/null 2>&1 \
 && ln -sf python3 /usr/local/bin/python \
 && python --version
CMD ["python3"]
