"""Queue semantics shared by every executor, with a fake executor: no processes, instant."""

from __future__ import annotations

import gc
import time

import pytest

from cnn_core.jobs.job_queue import MAX_KINDS, JobQueue, QueueError, Workload, queue_summary


class FakeJob:
    def __init__(self, name: str, owner: str | None = None, left: float | None = None,
                 work: Workload | None = None, trained: float | None = None):
        self.name, self.owner, self.left, self.work = name, owner, left, work
        self.trained = trained  # seconds it says it trained; None: it does not say
        self.started_on = None
        self.ended: list[str | None] = []  # the error each on_ended gave

    def seconds_left(self) -> float | None:
        return self.left

    def workload(self) -> Workload | None:
        return self.work

    def training_seconds(self) -> float | None:
        return self.trained

    def task(self):
        return self.name

    def on_started(self, worker_pid: int) -> None:
        self.started_on = worker_pid

    def on_message(self, kind, payload) -> None:
        pass

    def on_ended(self, error) -> None:
        self.ended.append(error)


class FakeExecutor(JobQueue):
    """Slots are numbered places; a test frees one with `finish(slot)`."""

    executor_name = "Fake executor"

    def __init__(self, slots: int):
        super().__init__(slots)
        self.running: dict[int, tuple[FakeJob, float]] = {}
        self.launched: list[str] = []

    def _free_slot(self):
        return next((n for n in range(self.slots) if n not in self.running), None)

    def _launch(self, slot, job):
        self.running[slot] = (job, time.monotonic())
        self.launched.append(getattr(job, "name", "a training job"))
        job.on_started(slot)

    def _running_jobs(self):
        return [(started, job) for job, started in self.running.values()]

    def finish(self, slot: int, completed: bool = True) -> None:
        """End the job in `slot` after 10 s; completed: it trained all it was asked to."""
        with self._lock:
            job, _ = self.running.pop(slot)
        self._record_duration(10.0, job if completed else None)
        self._dispatch()


def test_jobs_run_in_order_of_arrival_as_slots_free():
    queue = FakeExecutor(slots=2)
    jobs = [FakeJob(f"job{n}", owner=f"learner{n}") for n in range(5)]
    for job in jobs:
        queue.submit(job)
    assert queue.launched == ["job0", "job1"]
    assert [queue.position(job) for job in jobs] == [None, None, 1, 2, 3]
    queue.finish(1)
    assert queue.launched == ["job0", "job1", "job2"] and jobs[2].started_on == 1
    queue.finish(0)
    queue.finish(1)
    assert queue.launched == [f"job{n}" for n in range(5)]
    status = queue.status()
    assert (status.running, status.waiting, status.executor) == (2, 0, "Fake executor")


def test_one_waiting_job_per_learner_but_any_number_of_learners():
    queue = FakeExecutor(slots=1)
    # The queue holds jobs weakly (sessions own them), so the test keeps them alive.
    kept = [FakeJob("running", owner="ana"), FakeJob("waiting", owner="ana")]
    for job in kept:  # her first job runs, so she may wait with one more
        queue.submit(job)
    with pytest.raises(QueueError, match="already have a job waiting"):
        queue.submit(FakeJob("second wait", owner="ana"))
    kept += [FakeJob("bea's", owner="bea"), FakeJob("anonymous"), FakeJob("anonymous too")]
    for job in kept[2:]:
        queue.submit(job)
    assert queue.status().waiting == 4


def test_cancelled_and_abandoned_jobs_leave_the_line():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("running"))
    cancelled, abandoned, last = FakeJob("cancelled"), FakeJob("abandoned"), FakeJob("last")
    for job in (cancelled, abandoned, last):
        queue.submit(job)
    assert queue.cancel(cancelled) and not queue.cancel(cancelled)
    del abandoned
    gc.collect()
    assert queue.position(last) == 1
    queue.finish(0)
    assert queue.launched == ["running", "last"]


def test_the_wait_estimate_uses_measured_job_lengths():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("a"))
    queue.finish(0)  # records a 10 s job
    queue.submit(FakeJob("b"))
    queue.submit(FakeJob("c"))
    assert queue.average_job_seconds == 10.0
    assert 9.0 < queue.wait_estimate(1) <= 10.0
    assert 19.0 < queue.wait_estimate(2) <= 20.0


def test_the_wait_behind_a_job_with_its_own_pace_follows_that_pace():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("a"))
    queue.finish(0)  # the average job: 10 s
    long_job = FakeJob("50 epochs", left=None)
    queue.submit(long_job)
    queue.submit(FakeJob("next"))
    assert 9.0 < queue.wait_estimate(1) <= 10.0  # no batch yet: the average
    long_job.left = 60.0  # its pace says a minute more
    assert queue.wait_estimate(1) == pytest.approx(60.0)
    assert queue.wait_estimate(2) == pytest.approx(70.0)


def test_jobs_in_line_count_by_their_size_at_their_kind_s_pace():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("one epoch", work=Workload("mnist cnn", 12_000)))
    queue.finish(0)  # 10 s for 12,000 images: the average job too
    kept = [FakeJob("running"), FakeJob("50 epochs", work=Workload("mnist cnn", 600_000)),
            FakeJob("never timed", work=Workload("cifar", 50_000)), FakeJob("last")]
    for job in kept:
        queue.submit(job)
    assert 9.0 < queue.wait_estimate(1) <= 10.0
    # Behind the 50-epoch job: its 500 s more, not an average job's 10 s.
    assert queue.wait_estimate(2) == pytest.approx(510.0, abs=1.0)
    # A kind the queue has not timed yet counts as the average job.
    assert queue.wait_estimate(3) == pytest.approx(520.0, abs=1.0)
    assert queue.new_job_wait() == pytest.approx(queue.wait_estimate(4), abs=0.01)


def test_a_job_s_start_counts_once_and_its_training_by_its_size():
    queue = FakeExecutor(slots=1)
    # 10 s in the slot, of which 2 s training 12,000 images: 8 s to load data and start.
    queue.submit(FakeJob("first", work=Workload("mnist cnn", 12_000), trained=2.0))
    queue.finish(0)
    kept = [FakeJob("running"), FakeJob("20 epochs", work=Workload("mnist cnn", 240_000)),
            FakeJob("last")]
    for job in kept:
        queue.submit(job)
    # 8 s to start and 20 x 2 s to train: 48 s, not 20 x 10 s.
    assert queue.wait_estimate(2) == pytest.approx(10.0 + 48.0, abs=1.0)


def test_a_running_job_before_its_first_batch_counts_by_its_size():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("one epoch", work=Workload("mnist cnn", 12_000)))
    queue.finish(0)
    kept = [FakeJob("50 epochs", work=Workload("mnist cnn", 600_000)), FakeJob("next")]
    for job in kept:
        queue.submit(job)
    assert queue.wait_estimate(1) == pytest.approx(500.0, abs=1.0)


def test_a_job_that_did_not_train_to_its_end_does_not_time_its_kind():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("stopped at once", work=Workload("mnist cnn", 1_000_000)))
    queue.finish(0, completed=False)  # 10 s, but not for a million images
    kept = [FakeJob("running"), FakeJob("same kind", work=Workload("mnist cnn", 100_000)),
            FakeJob("last")]
    for job in kept:
        queue.submit(job)
    assert queue.wait_estimate(2) == pytest.approx(20.0, abs=1.0)  # the average job


def test_the_queue_remembers_a_bounded_number_of_kinds():
    queue = FakeExecutor(slots=1)
    for n in range(MAX_KINDS + 1):  # the first kind's pace is 100 s a unit, the others' 10
        queue.submit(FakeJob(f"kind {n}", work=Workload(f"kind {n}", 0.1 if n == 0 else 1)))
        queue.finish(0)
    assert queue.expected_seconds(FakeJob("new", work=Workload("kind 1", 2))) == 20.0
    # The oldest kind is forgotten: its jobs count as the average job again.
    assert queue.expected_seconds(FakeJob("new", work=Workload("kind 0", 2))) == 10.0


def test_the_home_page_sentence_says_whether_a_new_job_would_wait_and_how_long():
    queue = FakeExecutor(slots=2)
    kept = [FakeJob("a")]
    queue.submit(kept[0])
    status = queue.status()
    assert not status.full
    assert queue_summary(status, None) == ("Now 1 training and none waiting; a job started now "
                                           "would begin at once.")
    kept += [FakeJob("b"), FakeJob("c", left=None)]
    for job in kept[1:]:
        queue.submit(job)
    status = queue.status()
    assert status.full and (status.running, status.waiting) == (2, 1)
    # A new job would be 2nd in line: behind "c", who takes the first slot to free.
    assert queue_summary(status, queue.wait_estimate(status.waiting + 1)) == (
        "Now 2 training and 1 waiting; a job started now would begin in about 20 s.")
    assert queue_summary(status, queue.new_job_wait()) == queue_summary(
        status, queue.wait_estimate(status.waiting + 1))
    assert queue_summary(status, 75.0).endswith("would begin in about 1 min 15 s.")
    assert queue_summary(status, None).endswith("would wait its turn.")


def test_a_new_job_would_wait_ahead_of_a_learner_s_second_job_held_aside():
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("a"))
    queue.finish(0)  # the average job: 10 s
    kept = [FakeJob("running"), FakeJob("first", owner="ana")]
    for job in kept:
        queue.submit(job)
    kept.append(FakeJob("second", owner="ana"))
    queue.submit(kept[-1], after=kept[1])
    assert queue.status().waiting == 2  # both of Ana's count as waiting...
    # ...but a job started now goes 2nd in line, before Ana's second joins behind her first.
    # (to the hundredth of a second: the running job's time left shrinks as the test runs)
    assert queue.new_job_wait() == pytest.approx(queue.wait_estimate(2), abs=0.01)
    assert queue.new_job_wait() < queue.wait_estimate(3)


def test_a_queue_needs_a_slot():
    with pytest.raises(ValueError, match="at least one slot"):
        FakeExecutor(slots=0)


def test_a_learners_second_job_joins_the_back_of_the_line_when_the_first_starts():
    queue = FakeExecutor(slots=1)
    others = [FakeJob("running", owner="bea"), FakeJob("first", owner="ana"),
              FakeJob("cho's", owner="cho")]
    for job in others:
        queue.submit(job)
    second = FakeJob("second", owner="ana")
    queue.submit(second, after=others[1])
    # Not in line yet, so she still waits with one job; and no third may follow. The home
    # page counts it among the jobs waiting.
    assert queue.position(second) is None and queue.following(second)
    assert queue.status().waiting == 3
    with pytest.raises(QueueError, match="already have a job waiting"):
        queue.submit(FakeJob("third", owner="ana"), after=others[1])
    queue.finish(0)  # her first starts; her second queues behind cho's
    assert queue.launched == ["running", "first"]
    assert not queue.following(second) and queue.position(second) == 2
    queue.finish(0)
    queue.finish(0)
    assert queue.launched == ["running", "first", "cho's", "second"]


def test_a_job_to_follow_one_that_no_longer_waits_queues_at_once():
    queue = FakeExecutor(slots=1)
    first, second = FakeJob("first", owner="ana"), FakeJob("second", owner="ana")
    queue.submit(first)  # starts at once
    queue.submit(second, after=first)
    assert not queue.following(second) and queue.position(second) == 1


def _a_pair_with_a_later_job():
    """One slot busy; ana's first job in line, another learner's after it, ana's second
    following her first: (queue, first, second, later)."""
    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("running"))
    first, second, later = (FakeJob("first", owner="ana"), FakeJob("second", owner="ana"),
                            FakeJob("later"))
    queue.submit(first)
    queue.submit(later)
    queue.submit(second, after=first)
    return queue, first, second, later


def test_cancelling_either_job_of_a_pair():
    queue, first, second, later = _a_pair_with_a_later_job()
    # The first leaves the line: the second takes its place, ahead of the later job.
    assert queue.cancel(first) and queue.position(second) == 1 and queue.position(later) == 2
    # A follower can leave before it joins; its first then goes on alone.
    alone, dropped = FakeJob("alone", owner="bea"), FakeJob("dropped", owner="bea")
    queue.submit(alone)
    queue.submit(dropped, after=alone)
    assert queue.cancel(dropped) and not queue.cancel(dropped)
    assert not queue.following(dropped) and queue.position(alone) == 3
    for _ in range(3):
        queue.finish(0)
    assert queue.launched == ["running", "second", "later", "alone"]


def test_a_follower_whose_first_was_dropped_takes_its_place_and_a_dropped_follower_goes():
    queue, first, second, later = _a_pair_with_a_later_job()
    del first  # the session let go of its first job
    gc.collect()
    assert queue.position(second) == 1 and not queue.following(second)
    third, fourth = FakeJob("third", owner="bea"), FakeJob("fourth", owner="bea")
    queue.submit(third)
    queue.submit(fourth, after=third)
    del fourth
    gc.collect()
    for _ in range(3):
        queue.finish(0)
    assert queue.launched == ["running", "second", "later", "third"]
    assert queue.status().waiting == 0


class FailingLaunch(FakeExecutor):
    """An executor whose first launch fails, as a call to an unreachable cluster does."""

    failed = False

    def _launch(self, slot, job):
        if not self.failed:
            self.failed = True
            raise ConnectionError("the cluster is unreachable")
        super()._launch(slot, job)


def test_a_failed_launch_of_the_first_still_queues_the_second():
    queue = FailingLaunch(slots=1)
    queue.running[0] = (FakeJob("busy"), 0.0)  # the slot is taken: both wait
    first, second = FakeJob("first", owner="ana"), FakeJob("second", owner="ana")
    queue.submit(first)
    queue.submit(second, after=first)
    queue.finish(0)  # the slot frees and the first's launch fails: no exception escapes
    assert first.ended == ["The training service could not start this job (the cluster is "
                           "unreachable); please try again in a moment, or tell your teacher "
                           "if it keeps happening."]
    # The second had joined the line before that launch, and takes the free slot at once.
    assert queue.launched == ["second"] and not queue.following(second)


def test_a_failed_launch_ends_that_job_with_a_sentence_and_the_queue_goes_on():
    queue = FailingLaunch(slots=1)
    failed = FakeJob("failed", owner="ana")
    queue.submit(failed)  # the learner's own submit: no traceback on the page
    assert len(failed.ended) == 1 and "could not start this job" in failed.ended[0]
    assert queue.position(failed) is None and queue.status().running == 0
    again = FakeJob("again", owner="ana")  # she may try again: nothing of hers waits
    queue.submit(again)
    assert queue.launched == ["again"] and again.ended == []


def test_a_training_job_says_it_follows_the_learners_first(tmp_path):
    from cnn_core.jobs.training import ProgressSnapshot, TrainConfig
    from cnn_core.jobs.worker import FOLLOWING_MESSAGE, TrainingProcess, TrainRequest

    queue = FakeExecutor(slots=1)
    queue.submit(FakeJob("running"))
    request = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=1))
    first = TrainingProcess(request, tmp_path, owner="ana", pool=queue).start()
    second = TrainingProcess(request, tmp_path, owner="ana", pool=queue).start(after=first)
    assert second.running and second.following() and second.queue_position() is None
    assert second.snapshot().message == FOLLOWING_MESSAGE
    assert first.queue_position() == 1
    queue.finish(0)  # the first starts; the second waits in line like anyone's job
    assert second.queue_position() == 1 and second.snapshot().message != FOLLOWING_MESSAGE
    # The first's own pace, once it trains, is what the second's wait is told from.
    assert first.seconds_left() is None  # starting: no batch yet
    first.on_message("progress", ProgressSnapshot(status="training", epochs=1,
                                                  images_seen=1_000, images_total=50_000,
                                                  train_seconds=2.0))
    assert first.seconds_left() == pytest.approx(98.0)
    assert "about 1 min 40 s" in second.snapshot().message
    second.stop()
    assert second.done and not second.following()
