# loaded after terraform.tfvars: this value wins
kubernetes_version = "1.29"
