"""System pods a fresh cluster already runs, with their usual requests (an edge).

EKS clusters, and kOps clusters with amazonvpc networking, run the VPC CNI (``aws-node``, with its
network-policy agent); other kOps clusters their CNI's DaemonSet; all of them kube-proxy and CoreDNS on their nodes before any application arrives; the EBS CSI driver when it
is enabled.  Requests follow the add-ons' published manifests (EKS add-on defaults; kOps addon
templates); they are estimates of a typical install: pass your own manifests with the same
namespace and name to replace them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KOPS_CNI_DAEMONSETS", "eks_system_pods", "kops_system_pods"]


def _containers(*specs: tuple[str, str | None, str | None]) -> list[dict[str, Any]]:
    out = []
    for name, cpu, memory in specs:
        requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
        out.append({"name": name, "image": name, "resources": {"requests": requests}})
    return out


#: Every implied pod runs on Linux nodes only: the add-ons' manifests require
#: ``kubernetes.io/os In [linux]`` (aws-node: amazon-vpc-cni-k8s
#: ``config/master/aws-k8s-cni.yaml`` at f3efb24fa4be; kube-proxy and CoreDNS as EKS installs
#: them), so none lands on a Windows node (EKS runs kube-proxy there as a Windows service).
_LINUX_ONLY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}
                    ]
                }
            ]
        }
    }
}


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
                    "affinity": _LINUX_ONLY,
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
                    "affinity": _LINUX_ONLY,
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


#: The CNI DaemonSet kOps installs for each networking option, with its requests (kOps
#: ``upup/models/cloudup/resources/addons/networking.*`` templates at 268927e26409): calico-node
#: 250m (``networking.calico.cpuRequest``); cilium 25m / 128Mi (``networking.cilium.cpuRequest``,
#: ``memoryRequest``) with its install-cni-binaries init container 100m / 10Mi; kube-flannel
#: 100m / 50Mi; kube-router 250m / 250Mi; kopeio-networking-agent 50m / 100Mi; kindnet 100m /
#: 50Mi.  kubenet runs no DaemonSet (the kubelet's own plugin).
KOPS_CNI_DAEMONSETS: dict[str, tuple[str, str, str | None, tuple[str, str, str] | None]] = {
    # cni -> (DaemonSet name, cpu, memory, init container (name, cpu, memory) or None)
    "calico": ("calico-node", "250m", None, None),
    "cilium": ("cilium", "25m", "128Mi", ("install-cni-binaries", "100m", "10Mi")),
    "flannel": ("kube-flannel-ds", "100m", "50Mi", None),
    "kuberouter": ("kube-router", "250m", "250Mi", None),
    "kopeio": ("kopeio-networking-agent", "50m", "100Mi", None),
    "kindnet": ("kindnet", "100m", "50Mi", None),
}


def _cni_daemonset(
    cni: str, cpu: str | None = None, memory: str | None = None
) -> list[dict[str, Any]]:
    if cni == "amazonvpc":
        return [
            _daemonset(
                "aws-node",
                _containers(("aws-node", "25m", None), ("aws-eks-nodeagent", "25m", None)),
                host_network=True,
            )
        ]
    if cni not in KOPS_CNI_DAEMONSETS:
        return []
    name, default_cpu, default_memory, init = KOPS_CNI_DAEMONSETS[cni]
    ds = _daemonset(
        name, _containers((name, cpu or default_cpu, memory or default_memory)), host_network=True
    )
    if init is not None:
        ds["spec"]["template"]["spec"]["initContainers"] = _containers(init)
    return [ds]


def kops_system_pods(
    kube_proxy_cpu: str = "100m",
    *,
    ebs_csi: bool = True,
    cni: str = "amazonvpc",
    cni_cpu: str | None = None,
    cni_memory: str | None = None,
) -> list[dict[str, Any]]:
    """The system pods of a kOps cluster: its CNI's DaemonSet (``aws-node`` for amazonvpc,
    :data:`KOPS_CNI_DAEMONSETS` otherwise), kube-proxy (a static pod on every node, with
    ``spec.kubeProxy.cpuRequest``), CoreDNS with its autoscaler, and the EBS CSI driver.

    Parameters
    ----------
    kube_proxy_cpu : str
        kube-proxy's cpu request.
    ebs_csi : bool
        Whether the EBS CSI driver is installed.
    cni : str
        The networking option (``amazonvpc``, ``calico``, ``cilium``, ``flannel``,
        ``kuberouter``, ``kopeio``, ``kindnet``, ``kubenet``).
    cni_cpu, cni_memory : str, optional
        The CNI agent's requests when the cluster spec sets them (else kOps' defaults).
    """
    pods = [
        *_cni_daemonset(cni, cni_cpu, cni_memory),
        _daemonset(
            "kube-proxy", _containers(("kube-proxy", kube_proxy_cpu, None)), host_network=True
        ),
        _deployment("coredns", 2, _containers(("coredns", "100m", "70Mi")), app="kube-dns"),
        _deployment("coredns-autoscaler", 1, _containers(("autoscaler", "20m", "10Mi"))),
    ]
    if ebs_csi:
        pods += _ebs_csi(controller_replicas=1)
    return pods
