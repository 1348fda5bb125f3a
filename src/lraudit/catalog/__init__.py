"""The catalog: every supported optimizer, scheduler, schedule and factory, described once."""
