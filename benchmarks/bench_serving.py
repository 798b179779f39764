"""Serving speed against a real uvicorn server on 127.0.0.1 (one worker, its own process).

    .venv/bin/python benchmarks/bench_serving.py [--requests 300] [--clients 20]

Builds a small county (one 50-child village) through the real ingest, registers a real LightGBM champion in a
tmp MLflow store, starts `shouhu serve`'s app with the real features engine, then measures:
- GET /children/{key} from one client (p50, p99; target p50 < 10 ms, p99 < 25 ms),
- the same with 20 concurrent clients (target ≥ 300 req/s, no errors),
- GET /visit-list for the 50-child village (p99 < 50 ms, after the first request built the list),
beside a plain mlflow.pyfunc predict of one row. Prints figures only (keys and timings, never names)."""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import multiprocessing as mp
import os
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _serve(port: int) -> None:
    import uvicorn

    from serving.app import create_app
    from shouhu.settings import Settings

    uvicorn.run(
        create_app(Settings()), host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="requests per single-client measurement")
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()

    import httpx

    from tests.serving import factories as f

    tmp = Path(tempfile.mkdtemp(prefix="shouhu-bench-"))
    print(f"setup in {tmp} ...", flush=True)
    village = f.VILLAGE_A1
    county = f.build_county(tmp, {village: 50, f.VILLAGE_A2: 20, f.VILLAGE_B1: 20})
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    f.register_champion(uri, tmp, seed=0)
    os.environ.update(
        {
            "SHOUHU_DATABASE_URL": os.environ.get(
                "SHOUHU_BENCH_DATABASE_URL", f"sqlite:///{tmp / 'service.db'}"
            ),
            "SHOUHU_WAREHOUSE": str(county.warehouse),
            "SHOUHU_MLFLOW_TRACKING_URI": uri,
            "SHOUHU_PSEUDONYM_SECRET": f.SECRET,
            "SHOUHU_TOKEN_SECRET": secrets.token_urlsafe(32),  # the server refuses the public default
            "SHOUHU_DATA_DIR": str(tmp),
        }
    )
    from serving.db import make_engine, make_sessionmaker, migrate
    from serving.users import add_user

    engine = make_engine(os.environ["SHOUHU_DATABASE_URL"])
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        add_user(session, "bench", "children_director", f.PASSWORD, village=village)
    engine.dispose()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = mp.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            time.sleep(0.5)
        token = httpx.post(f"{base}/auth/token", data={"username": "bench", "password": f.PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        as_of = "2024-05-01"
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            t = time.perf_counter()
            first = api.get("/visit-list", params={"as_of": as_of, "limit": 50})
            build_ms = (time.perf_counter() - t) * 1000
            assert first.status_code == 200 and len(first.json()["rows"]) == 50, first.text[:300]
            keys = [r["child_key"] for r in first.json()["rows"]]
            for key in keys:  # warm: one read per child
                api.get(f"/children/{key}")

            def timed(path: str, params: dict | None = None) -> float:
                t0 = time.perf_counter()
                r = api.get(path, params=params)
                assert r.status_code == 200, r.status_code
                return (time.perf_counter() - t0) * 1000

            panel = [timed(f"/children/{keys[i % len(keys)]}") for i in range(args.requests)]
            lists = [timed("/visit-list", {"as_of": as_of, "limit": 50}) for _ in range(args.requests // 2)]

        per_client = max(1, args.requests * 3 // args.clients)
        errors: list[int | str] = []
        done: list[int] = []
        lock = threading.Lock()

        def worker(offset: int) -> None:
            # stdlib keep-alive connection: a lighter client than httpx, so the figure is the server's
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                for i in range(per_client):
                    conn.request("GET", f"/api/v1/children/{keys[(offset + i) % len(keys)]}", headers=headers)
                    r = conn.getresponse()
                    r.read()
                    with lock:
                        done.append(r.status) if r.status == 200 else errors.append(r.status)
            except Exception as exc:  # a refused or broken connection is an error too
                with lock:
                    errors.append(type(exc).__name__)
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t
        throughput = len(done) / elapsed
    finally:
        server.terminate()
        server.join(10)

    import mlflow.pyfunc

    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/shouhu-risk@champion")
    row = f.matrix_for(county, dt.date(2024, 5, 1)).iloc[:1]
    model.predict(row)
    predict = []
    for _ in range(200):
        t0 = time.perf_counter()
        model.predict(row)
        predict.append((time.perf_counter() - t0) * 1000)

    print("\nShouhu serving benchmark (1 uvicorn worker, 127.0.0.1; ms)")
    print(f"{'measurement':<44}{'n':>6}{'p50':>9}{'p99':>9}  target")
    print(
        f"{'GET /children/{key}, 1 client':<44}{len(panel):>6}{statistics.median(panel):>9.2f}"
        f"{_pct(panel, 99):>9.2f}  p50<10 p99<25"
    )
    print(
        f"{'GET /visit-list (50-child village), 1 client':<44}{len(lists):>6}{statistics.median(lists):>9.2f}"
        f"{_pct(lists, 99):>9.2f}  p99<50"
    )
    print(
        f"{'mlflow.pyfunc predict, one row (in-process)':<44}{len(predict):>6}"
        f"{statistics.median(predict):>9.2f}"
        f"{_pct(predict, 99):>9.2f}  (reference)"
    )
    print(f"first GET /visit-list of the date (features + scoring + persist): {build_ms:.0f} ms")
    print(
        f"GET /children/{{key}}, {args.clients} concurrent clients: {len(done)} answered in "
        f"{elapsed:.2f} s = {throughput:.0f} req/s (target ≥ 300), errors: {len(errors)} "
        f"{sorted(set(map(str, errors)))[:3]}"
    )


if __name__ == "__main__":
    main()
