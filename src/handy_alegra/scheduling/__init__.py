"""Running the syncs on time: the schedule (pure), slots and account leases (store), one job's
execution, and two engines — an in-process dispatcher (the embedded default) and Procrastinate
workers on PostgreSQL (scale-out)."""
