"""Units done of total (accounts, projects): what providers count and what the progress lines on stderr say."""

from __future__ import annotations

import threading
import time

from policycheck import cli
from policycheck.context import RunContext
from policycheck.progress import UnitProgress
from policycheck.run_settings import RunSettings


def test_a_unit_is_done_when_all_its_parts_are():
    progress = UnitProgress()
    progress.plan("accounts", {"111111111111": 3, "222222222222": 1, "333333333333": 0})
    assert progress.counts("accounts") == (1, 3)  # a unit of no parts (its role could not be assumed) is done
    progress.part_done("accounts", "111111111111")
    progress.part_done("accounts", "111111111111")
    assert progress.counts("accounts") == (1, 3)
    progress.part_done("accounts", "111111111111")
    progress.part_done("accounts", "222222222222")
    assert progress.counts("accounts") == (3, 3)
    progress.part_done("accounts", "222222222222")  # more parts than planned, or units never planned: ignored
    progress.part_done("accounts", "999999999999")
    progress.part_done("projects", "acme-support")
    assert progress.counts("accounts") == (3, 3) and progress.counts("projects") == (0, 0)


def test_planning_a_unit_twice_counts_it_once():
    progress = UnitProgress()
    progress.plan("projects", {"acme-support": 1})
    progress.plan("projects", {"acme-support": 1, "acme-support-eu": 1})
    assert progress.counts("projects") == (0, 2)


def test_summary_names_each_kind_with_more_than_one_unit():
    progress = UnitProgress()
    assert progress.summary() == ""
    progress.plan("accounts", {"111111111111": 1})
    assert progress.summary() == ""  # one account: nothing worth counting
    progress.plan("accounts", {"222222222222": 2})
    progress.plan("projects", dict.fromkeys(("a-project", "b-project", "c-project"), 1))
    progress.part_done("accounts", "111111111111")
    progress.part_done("projects", "b-project")
    assert progress.summary() == "accounts 1/2 done, projects 1/3 done"


def test_parts_done_from_many_threads_are_all_counted():
    progress = UnitProgress()
    units = {f"project-{n:03d}": 20 for n in range(50)}
    progress.plan("projects", units)

    def finish(unit: str) -> None:
        for _ in range(20):
            progress.part_done("projects", unit)

    threads = [threading.Thread(target=finish, args=(unit,)) for unit in units]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert progress.counts("projects") == (50, 50)


def test_every_provider_of_a_run_reports_into_the_run_progress():
    context = RunContext.build(RunSettings())
    context.for_provider("aws").progress.plan("accounts", {"111111111111": 1, "222222222222": 1})
    context.for_provider("gcs").progress.plan("projects", {"a-project": 1, "b-project": 1})
    assert context.progress.summary() == "accounts 0/2 done, projects 0/2 done"


def test_progress_lines_say_units_done(monkeypatch, capsys):
    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.05)
    units = UnitProgress()
    units.plan("accounts", {f"{n:012d}": 1 for n in range(12)})
    for n in range(5):
        units.part_done("accounts", f"{n:012d}")
    with cli._progress_lines([40], time.monotonic, units):
        time.sleep(0.2)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("policycheck: 40 resources evaluated, accounts 5/12 done, ") and line.endswith(" s")
               for line in lines)
