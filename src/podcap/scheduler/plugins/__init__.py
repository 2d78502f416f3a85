"""The plugins of kube-scheduler's default profile, one module each, named as Kubernetes names
them (``pkg/scheduler/framework/plugins/``).  Each module holds the plugin's filter (its static
node mask and its reasons, as data and as text) and, where podcap models it, its score."""
