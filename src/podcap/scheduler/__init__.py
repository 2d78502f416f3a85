"""The scheduler: the filters of the scheduling cycle and the FailedScheduling text."""
