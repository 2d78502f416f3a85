prefix             = "acme"
kubernetes_version = "1.30"
