"""A real Celery worker process for tests: ``python -m tests.fakes.worker_main CONFIG PORT``.

The same worker ``sheets-automation worker`` starts, with one difference: Google is the
loopback fake (its ``requests`` transport), injected through ``make_app(session_factory=…)``.
"""
import sys

from sheets_automation.config import load_config
from sheets_automation.distributed.app import make_app
from tests.fakes.loopback import session_factory

if __name__ == "__main__":
    config = load_config(sys.argv[1])
    app = make_app(config, session_factory=session_factory(int(sys.argv[2])))
    app.worker_main(["worker", "--loglevel=WARNING", "--concurrency=1", "--pool=prefork", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", f"--hostname=w{sys.argv[3]}@%h"])
