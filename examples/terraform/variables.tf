variable "environment" {
  description = "Deployment environment"
  type        = string
  default     = "staging"
}

variable "general_nodes" {
  description = "Nodes of the general node group"
  type        = number
  default     = 2
}

variable "prefix_delegation" {
  description = "VPC CNI prefix delegation"
  type        = bool
  default     = false
}
