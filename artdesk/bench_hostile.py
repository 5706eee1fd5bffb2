"""Bench lines for issue 14: how long an export takes to honour Cancel, and the streaming PNG
writer (which makes that possible) against Pillow's one-shot encoder on the same page."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path


def bench_cancel_and_writer(cancels: int = 12) -> list[str]:
    import io

    from artdesk.bench import sample_drawing
    from artdesk.engines.progress import Cancelled, bind_cancel
    from artdesk.export import png
    from artdesk.export.render import ensure_gui_app

    ensure_gui_app()
    doc = sample_drawing()
    pixels = png.render_fitted(doc, 4500, 5400)
    t0 = time.perf_counter()
    pillow = png.png_bytes(pixels, 300, {"Software": "bench"})
    t1 = time.perf_counter()
    buf = io.BytesIO()
    for _ in png.write_png_rows(buf, pixels, 300, {"Software": "bench"}, png._srgb_icc()):
        pass
    t2 = time.perf_counter()
    lines = [f"PNG writer on the same 4500x5400 page: streaming {t2 - t1:.2f} s, {len(buf.getvalue()) / 1e6:.2f} MB "
             f"vs Pillow {t1 - t0:.2f} s, {len(pillow) / 1e6:.2f} MB (x{(t2 - t1) / (t1 - t0):.2f} time, "
             f"x{len(buf.getvalue()) / len(pillow):.2f} size)"]
    rng = random.Random(14)
    waits, left = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cancels):
            event, end = threading.Event(), {}
            target = Path(tmp) / f"p{i}.png"

            def run():
                bind_cancel(event)
                job = png.export_png_job(doc, target, "tshirt")
                try:
                    while not event.is_set():
                        next(job)
                    job.close()
                except (StopIteration, Cancelled):
                    pass
                finally:
                    bind_cancel(None)
                    end["t"] = time.perf_counter()

            worker = threading.Thread(target=run)
            worker.start()
            time.sleep(rng.uniform(0.05, 2.0))
            asked = time.perf_counter()
            event.set()
            worker.join()
            waits.append((end["t"] - asked) * 1000)
        left = len(list(Path(tmp).iterdir()))
    waits.sort()
    lines.append(f"T-shirt export cancelled at {cancels} random moments: stops in median {waits[len(waits) // 2]:.0f} ms, "
                 f"max {waits[-1]:.0f} ms (target < 200 ms); files left behind: {left}")
    return lines
