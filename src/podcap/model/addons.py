"""System pods a fresh cluster already runs, with their usual requests (an edge).

Both EKS and kOps clusters run the VPC CNI (``aws-node``, with its network-policy agent),
kube-proxy and CoreDNS on their nodes before any application arrives; the EBS CSI driver when it
is enabled.  Requests follow the add-ons' published manifests (EKS add-on defaults; kOps addon
templates); they are estimates of a typical install: pass your own manifests with the same
namespace and name to replace them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["eks_system_pods", "kops_system_pods"]


def _containers(*specs: tuple[str, str | None, str | None]) -> list[dict[str, Any]]:
    out = []
    for name, cpu, memory in specs:
        requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
        out.append({"name": name, "image": name, "resources": {"requests": requests}})
    return out


def _daemonset(
    name: str, containers: list[dict[str, Any]], *, host_network: bool, app: str | None = None
) -> dict[str, Any]:
    label = {"k8s-app": app or name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": name,
            "namespace": "kube-system",
            "annotations": {"podcap/implied": "true"},
        },
        "spec": {
            "selector": {"matchLabels": label},
            "template": {
                "metadata": {"labels": label},
                "spec": {
                    "hostNetwork": host_network,
                    "priorityClassName": "system-node-critical",
                    "tolerations": [{"operator": "Exists"}],
                    "containers": containers,
                },
            },
        },
    }


def _deployment(
    name: str, replicas: int, containers: list[dict[str, Any]], app: str | None = None
) -> dict[str, Any]:
    label = {"k8s-app": app or name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "kube-system",
            "annotations": {"podcap/implied": "true"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": label},
            "template": {
                "metadata": {"labels": label},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                    "containers": containers,
                },
            },
        },
    }


def _ebs_csi(controller_replicas: int = 2) -> list[dict[str, Any]]:
    return [
        _daemonset(
            "ebs-csi-node",
            _containers(
                ("ebs-plugin", "10m", "40Mi"),
                ("node-driver-registrar", "10m", "40Mi"),
                ("liveness-probe", "10m", "40Mi"),
            ),
            host_network=False,
            app="ebs-csi-node",
        ),
        _deployment(
            "ebs-csi-controller",
            controller_replicas,
            _containers(
                ("ebs-plugin", "10m", "40Mi"),
                ("csi-provisioner", "10m", "40Mi"),
                ("csi-attacher", "10m", "40Mi"),
                ("csi-snapshotter", "10m", "40Mi"),
                ("csi-resizer", "10m", "40Mi"),
                ("liveness-probe", "10m", "40Mi"),
            ),
            app="ebs-csi-controller",
        ),
    ]


def eks_system_pods(addons: set[str] | None = None) -> list[dict[str, Any]]:
    """aws-node, kube-proxy and CoreDNS of an EKS cluster, plus the EBS CSI driver and the Pod
    Identity agent when those add-ons are listed."""
    addons = addons or set()
    pods = [
        _daemonset(
            "aws-node",
            _containers(("aws-node", "25m", None), ("aws-eks-nodeagent", "25m", None)),
            host_network=True,
        ),
        _daemonset("kube-proxy", _containers(("kube-proxy", "100m", None)), host_network=True),
        _deployment("coredns", 2, _containers(("coredns", "100m", "70Mi")), app="kube-dns"),
    ]
    if "aws-ebs-csi-driver" in addons:
        pods += _ebs_csi()
    if "eks-pod-identity-agent" in addons:
        pods.append(
            _daemonset(
                "eks-pod-identity-agent",
                _containers(("eks-pod-identity-agent", "25m", None)),
                host_network=True,
            )
        )
    return pods


def kops_system_pods(kube_proxy_cpu: str = "100m", *, ebs_csi: bool = True) -> list[dict[str, Any]]:
    """aws-node, kube-proxy (a static pod on every node, with ``spec.kubeProxy.cpuRequest``),
    CoreDNS with its autoscaler, and the EBS CSI driver of a kOps cluster with amazonvpc
    networking."""
    pods = [
        _daemonset(
            "aws-node",
            _containers(("aws-node", "25m", None), ("aws-eks-nodeagent", "25m", None)),
            host_network=True,
        ),
        _daemonset(
            "kube-proxy", _containers(("kube-proxy", kube_proxy_cpu, None)), host_network=True
        ),
        _deployment("coredns", 2, _containers(("coredns", "100m", "70Mi")), app="kube-dns"),
        _deployment("coredns-autoscaler", 1, _containers(("autoscaler", "20m", "10Mi"))),
    ]
    if ebs_csi:
        pods += _ebs_csi(controller_replicas=1)
    return pods
