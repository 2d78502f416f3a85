variable "prefix" {
  description = "Name prefix (no default: terraform.tfvars sets it)"
  type        = string
}

variable "kubernetes_version" {
  type    = string
  default = "1.31"
}

variable "vpc_id" {
  type    = string
  default = "vpc-0123456789abcdef0"
}

variable "subnet_ids" {
  type    = list(string)
  default = ["subnet-0aaa", "subnet-0bbb"]
}
