"""The task backend is our transactional outbox: tasks are enqueued inside the transactions that
create their rows (a message to deliver, a workflow to start), which is right only when enqueueing
joins the transaction. The database backend does; a queue such as RQ would run a task before its
rows are committed, so the project refuses to start with one."""

from django.conf import settings
from django.core import checks

# Backends whose enqueue commits or rolls back with the caller's transaction (or runs in it).
TRANSACTIONAL_BACKENDS = {
    "django_tasks_db.DatabaseBackend",
    "django.tasks.backends.immediate.ImmediateBackend",
    "django.tasks.backends.dummy.DummyBackend",
}


@checks.register()
def task_backend_is_transactional(app_configs, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for alias, config in settings.TASKS.items():
        if config.get("BACKEND") not in TRANSACTIONAL_BACKENDS:
            errors.append(
                checks.Error(
                    f"TASKS[{alias!r}] uses {config.get('BACKEND')}, whose enqueue does not join the transaction.",
                    hint="Use django_tasks_db.DatabaseBackend (run more `manage.py db_worker` processes to scale out).",
                    id="mergeinbox.E001",
                )
            )
    return errors
