#!/usr/bin/env python3
"""Checks docker-compose.yml without Docker (`make test` runs it; CI has no Docker daemon).

It parses the file as YAML and checks what docs/deploy.md promises: two Tributary instances
from one image that only one of them builds, production settings with the secrets required,
PostgreSQL and Redis with health checks, and a load balancer that publishes the one URL and
mounts deploy/Caddyfile, whose reverse_proxy names both instances. Where `docker compose` works
it also runs `docker compose config`, the full validation. That the Caddyfile really routes HTTP
and WebSockets is tested by running it: tests/api/deploy.rs.
"""

import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def fail(message):
    print(f"docker-compose.yml: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    with open(os.path.join(ROOT, "docker-compose.yml")) as file:
        compose = yaml.safe_load(file)
    services = compose.get("services") or fail("no services")
    instances = ["tributary-a", "tributary-b"]
    for name in instances + ["lb", "postgres", "redis"]:
        if name not in services:
            fail(f"no service {name}")
    images = {services[name].get("image") for name in instances}
    if len(images) != 1 or None in images:
        fail(f"the instances must run one image, not {images}")
    builders = [name for name in instances if "build" in services[name]]
    if builders != ["tributary-a"]:
        fail(f"exactly one instance builds the image (tributary-a), not {builders}")
    if services["tributary-b"].get("pull_policy") != "never":
        fail("tributary-b must not look for the locally built image in a registry")
    for name in instances:
        env = services[name].get("environment") or {}
        if env.get("TRIBUTARY_ENV") != "production":
            fail(f"{name} must run with TRIBUTARY_ENV=production")
        for secret in ["JWT_SECRET", "ADMIN_TOKEN"]:
            if ":?" not in str(env.get(secret, "")):
                fail(f"{name} must require {secret} from the environment")
        if not str(env.get("DATABASE_URL", "")).startswith("postgres://"):
            fail(f"{name} must use PostgreSQL")
        if not str(env.get("REDIS_URL", "")).startswith("redis://"):
            fail(f"{name} must use Redis")
        if "ports" in services[name]:
            fail(f"{name} is reached through the load balancer only: no ports")
        depends = services[name].get("depends_on") or {}
        for dependency in ["postgres", "redis"]:
            if (depends.get(dependency) or {}).get("condition") != "service_healthy":
                fail(f"{name} must wait for a healthy {dependency}")
    for name in ["postgres", "redis"]:
        if "healthcheck" not in services[name]:
            fail(f"{name} needs a health check")
    lb = services["lb"]
    if not any(str(port).endswith(":80") for port in lb.get("ports") or []):
        fail("the load balancer must publish its port 80")
    mounts = [str(volume).split(":") for volume in lb.get("volumes") or []]
    caddyfiles = [source for source, target, *_ in mounts if target == "/etc/caddy/Caddyfile"]
    if caddyfiles != ["./deploy/Caddyfile"]:
        fail("the load balancer must mount ./deploy/Caddyfile at /etc/caddy/Caddyfile")
    with open(os.path.join(ROOT, "deploy", "Caddyfile")) as file:
        caddyfile = file.read()
    proxy = re.search(r"reverse_proxy \{\$UPSTREAMS:([^}]*)\}", caddyfile)
    if not proxy or sorted(proxy.group(1).split()) != [f"{name}:8080" for name in instances]:
        fail("deploy/Caddyfile's reverse_proxy must name both instances on :8080 by default")
    print("docker-compose.yml: structure checked")

    # `docker compose` (v2) validates without a daemon, as does the older `docker-compose`.
    for command in (["docker", "compose"], ["docker-compose"]):
        try:
            found = subprocess.run(command + ["version"], capture_output=True).returncode == 0
        except FileNotFoundError:
            found = False
        if not found:
            continue
        env = dict(os.environ, JWT_SECRET="x" * 32, ADMIN_TOKEN="y" * 24)
        checked = subprocess.run(command + ["config", "--quiet"], cwd=ROOT, env=env)
        if checked.returncode != 0:
            fail(f"`{' '.join(command)} config` refused it")
        print(f"docker-compose.yml: `{' '.join(command)} config` accepts it")
        return
    print("docker-compose.yml: neither `docker compose` nor `docker-compose` here; not validated by Docker")


if __name__ == "__main__":
    main()
