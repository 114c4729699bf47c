# policycheck as a container: `docker build --build-arg EXTRAS=aws,gcp -t policycheck .`, then
# `docker run --rm -v "$PWD:/work" policycheck scan --snapshot estate.json`. See docs/ci.md.
# The base image is pinned to one Python release on one Debian release; bump both deliberately.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY policycheck ./policycheck
COPY providers ./providers
COPY policies ./policies
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE}
# Pip extras to install: aws, gcp, terraform, demo or all (comma-separated; empty for the core only).
ARG EXTRAS=aws,gcp,terraform
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /dist /dist
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# DL3013 (pin versions): the one package named is the wheel built above; its dependencies follow pyproject.toml.
# hadolint ignore=DL3013
RUN wheel="$(ls /dist/policycheck-*.whl)" \
    && python -m pip install --no-cache-dir "${wheel}${EXTRAS:+[${EXTRAS}]}" \
    && rm -rf /dist \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /work --shell /usr/sbin/nologin policycheck \
    && mkdir -p /work && chown policycheck:policycheck /work
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["policycheck"]
CMD ["--help"]
