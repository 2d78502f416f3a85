"""The pipeline: a cluster state, one step that every path uses, results, timelines."""
