#!/usr/bin/env python3
"""Abuse figures for docs/security.md, against the packaged build (java -jar), on loopback only.

Starts target/quarkus-app/quarkus-run.jar on a throwaway embedded PostgreSQL, then:
  1. the admin bypass: 40 spellings of /admin/tenants x 7 operations with a tenant key, over a raw socket;
  2. the GraphQL CPU bomb: two clients send the 22-level fragment bomb for 10 s while /q/health/live is probed;
  3. the pool attack: three tenants each send three GraphQL requests of 24 previewSegment aliases whose rule reads
     a static segment while psql holds an exclusive lock on segment_member (so every evaluation waits), while
     liveness, readiness and a fourth tenant's GET /customers/{id} are probed.
Prints a Markdown summary. Needs python3 (stdlib only), psql, and a built target/quarkus-app (./mvnw package).
Every request goes to 127.0.0.1; every loop is bounded in time.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import urllib.error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN = "attack-admin-key"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


HTTP = free_port()
PG = free_port()
BASE = f"http://127.0.0.1:{HTTP}"


def request(method, path, key=None, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return r.status, text, (time.perf_counter() - start) * 1000
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), (time.perf_counter() - start) * 1000


def raw(method, target, key, body=None):
    payload = b"" if body is None else body.encode()
    head = f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {key}\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    head += f"Content-Length: {len(payload)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", HTTP), timeout=20) as s:
        s.sendall(head.encode("latin-1") + payload)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    text = b"".join(chunks).decode("utf-8", "replace")
    status = int(text.split(" ", 2)[1]) if text.startswith("HTTP/") else 0
    return status, text


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def probe(path, stop, out, key=None, interval=0.02):
    while not stop.is_set():
        status, _, ms = request("GET", path, key, timeout=30)
        out.append((status, ms))
        time.sleep(interval)


def new_tenant(name):
    status, text, _ = request("POST", "/admin/tenants", ADMIN, {"name": name})
    assert status == 201, text
    created = json.loads(text)
    tid = created["tenant"]["id"]
    # this script measures abuse resistance, not the rate limit: give its tenants room
    request("PATCH", f"/admin/tenants/{tid}", ADMIN, {"rateLimit": {"perSecond": 100000, "burst": 100000}})
    return created


FORMS = ["/admin;x/tenants", "/admin;/tenants", "/admin;jsessionid=1/tenants", "/admin/tenants;x",
         "/admin;x/tenants;y", "//admin/tenants", "///admin/tenants", "/%61dmin/tenants", "/admin/%74enants",
         "/%61%64%6d%69%6e/tenants", "/./admin/tenants", "/x/../admin/tenants", "/q/../admin/tenants",
         "/q/%2e%2e/admin/tenants", "/q/%2E%2E/admin/tenants", "/%2e/admin/tenants", "/admin%2Ftenants",
         "/admin%2ftenants", "/%2Fadmin/tenants", "/admin/./tenants", "/admin/x/../tenants", "/ADMIN/tenants",
         "/Admin/Tenants", "/admin/TENANTS", "/admin/tenants/", "/admin/tenants//", "/admin//tenants",
         "/admin/tenants?x=1", "/admin/tenants%3Bx", "/admin%3B/tenants", "/admin/tenants/.", "/admin/tenants/%2e",
         "/q/health/../../admin/tenants", "/graphql/../admin/tenants", "/admin\\tenants", "/admin%5Ctenants",
         "/admin/tenants", "/%20admin/tenants", "/admin%00/tenants", "/admin/tenants%00"]


def bypass():
    attacker = new_tenant("attacker")["apiKey"]["key"]
    victim = new_tenant("victim-secret-name")
    vid, kid = victim["tenant"]["id"], victim["apiKey"]["id"]
    attempts, successes, statuses = 0, 0, {}
    for form in FORMS:
        one = form.replace("tenants", f"tenants/{vid}", 1)
        for method, target, body in [("GET", form, None), ("POST", form, '{"name": "by-attacker"}'),
                                     ("GET", one, None), ("PATCH", one, '{"name": "renamed"}'),
                                     ("GET", one + "/keys", None), ("POST", one + "/keys", '{"name": "minted"}'),
                                     ("DELETE", one + f"/keys/{kid}", None)]:
            attempts += 1
            status, text = raw(method, target, attacker, body)
            statuses[status] = statuses.get(status, 0) + 1
            if 200 <= status < 300 or "victim-secret-name" in text or '"key":"sk_' in text:
                successes += 1
    return attempts, successes, statuses


def bomb_query(levels=22):
    frags = ["fragment F1 on Query { a: segments { key } }"]
    for i in range(2, levels + 1):
        frags.append(f"fragment F{i} on Query {{ a: segments {{ key }} ...F{i - 1} ...F{i - 1} }}")
    return "query { ...F%d } %s" % (levels, " ".join(frags))


def graphql_bomb(seconds=10):
    key = new_tenant("bomber")["apiKey"]["key"]
    q = bomb_query()
    stop = threading.Event()
    live, bombs = [], []

    def send():
        while not stop.is_set():
            status, text, ms = request("POST", "/graphql", key, {"query": q}, timeout=60)
            bombs.append((status, ms, "too_many_fields" in text or "too-complex" in text))

    threads = [threading.Thread(target=send) for _ in range(2)] + [threading.Thread(target=probe, args=("/q/health/live", stop, live))]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return len(q), bombs, live


def pool_attack(seconds=12):
    tenants = []
    for n in range(3):
        key = new_tenant(f"pool-{n}")["apiKey"]["key"]
        request("POST", "/segments", key, {"key": "s", "name": "static", "kind": "static"})
        tenants.append(key)
    bystander = new_tenant("bystander")["apiKey"]["key"]
    status, text, _ = request("POST", "/customers", bystander, {"externalId": "b-1", "name": "Bystander"})
    cid = json.loads(text)["id"]
    aliases = " ".join(f'p{i}: previewSegment(rule: {{segment: "s"}}) {{ count }}' for i in range(24))
    lock = subprocess.Popen(["psql", f"postgresql://postgres@127.0.0.1:{PG}/postgres", "-q", "-c",
                             f"begin; lock table segment_member in access exclusive mode; select pg_sleep({seconds}); commit;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    stop = threading.Event()
    live, ready, other, attacks = [], [], [], []

    def attack(key):
        status, text, ms = request("POST", "/graphql", key, {"query": "{ %s }" % aliases}, timeout=120)
        attacks.append((status, ms, text.count("/problems/unavailable")))

    probes = [threading.Thread(target=probe, args=("/q/health/live", stop, live)),
              threading.Thread(target=probe, args=("/q/health/ready", stop, ready)),
              threading.Thread(target=probe, args=(f"/customers/{cid}", stop, other, bystander, 0.05))]
    attackers = [threading.Thread(target=attack, args=(k,)) for k in tenants for _ in range(3)]
    for t in probes + attackers:
        t.start()
    time.sleep(seconds - 2)
    stop.set()
    for t in probes:
        t.join()
    lock.wait(timeout=60)
    for t in attackers:
        t.join(timeout=120)
    return live, ready, other, attacks


def main():
    jar = os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")
    if not os.path.exists(jar):
        sys.exit("build first: ./mvnw package -DskipTests")
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
    data = tempfile.mkdtemp(prefix="segments-attack-")
    env = dict(os.environ, PORT=str(HTTP), ADMIN_KEY=ADMIN, DEMO_ENABLED="false", EMBEDDED_DB_DIR=data,
               EMBEDDED_DB_PORT=str(PG), WEBHOOKS_ENABLED="false")
    env.pop("DB_URL", None)
    log = open(tempfile.mktemp(prefix="segments-attack-", suffix=".log"), "w")
    service = subprocess.Popen([java, "-jar", jar], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if request("GET", "/q/health/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            sys.exit("the service did not become ready; log in " + log.name)
        attempts, successes, statuses = bypass()
        size, bombs, live_b = graphql_bomb()
        live_p, ready_p, other_p, attacks = pool_attack()
        refused = sum(1 for b in bombs if b[2])
        limited = sum(1 for b in bombs if b[0] == 429)
        ms = lambda rows: [r[1] for r in rows]
        print("| measurement | result |")
        print("|---|---|")
        print(f"| admin bypass attempts / successes | {attempts} / {successes} (statuses {dict(sorted(statuses.items()))}) |")
        print(f"| GraphQL bomb ({size} bytes, 22 levels), 2 clients for 10 s | {len(bombs)} sent: {refused} refused as too large, "
              f"{limited} stopped earlier by the key's rate limit (429), {len(bombs) - refused - limited} other; "
              f"answer p50 {pct(ms(bombs), 50):.0f} ms, p99 {pct(ms(bombs), 99):.0f} ms |")
        print(f"| /q/health/live during the bombs | {len(live_b)} probes, all 200: {all(s == 200 for s, _ in live_b)}; "
              f"p50 {pct(ms(live_b), 50):.1f} ms, p99 {pct(ms(live_b), 99):.1f} ms, max {max(ms(live_b)):.1f} ms |")
        print(f"| pool attack: 3 tenants x 3 requests x 24 previews, evaluations held by a lock | "
              f"{len(attacks)} requests, {sum(a[2] for a in attacks)} aliases refused with /problems/unavailable |")
        print(f"| /q/health/live during the pool attack | {len(live_p)} probes, all 200: {all(s == 200 for s, _ in live_p)}; "
              f"p50 {pct(ms(live_p), 50):.1f} ms, p99 {pct(ms(live_p), 99):.1f} ms |")
        print(f"| /q/health/ready during the pool attack | {len(ready_p)} probes, all 200: {all(s == 200 for s, _ in ready_p)}; "
              f"p50 {pct(ms(ready_p), 50):.1f} ms, p99 {pct(ms(ready_p), 99):.1f} ms |")
        print(f"| another tenant's GET /customers/{{id}} during the pool attack | {len(other_p)} requests, all 200: "
              f"{all(s == 200 for s, _ in other_p)}; p50 {pct(ms(other_p), 50):.1f} ms, p99 {pct(ms(other_p), 99):.1f} ms |")
    finally:
        service.terminate()
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
