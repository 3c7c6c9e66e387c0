"""The running Celery app really has the reliability settings (a misspelled one is silently ignored)."""

from evactrack.celery import app


def test_the_configured_app_has_time_limits_and_late_acks():
    conf = app.conf
    assert conf.task_soft_time_limit and conf.task_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_status_tasks_are_registered_by_the_names_writers_use():
    from reports.services import RECOMPUTE_DIRTY_TASK

    app.loader.import_default_modules()
    for name in [RECOMPUTE_DIRTY_TASK, "status.recompute_full", "status.expire_orders"]:
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost
        assert task.max_retries and task.retry_backoff
