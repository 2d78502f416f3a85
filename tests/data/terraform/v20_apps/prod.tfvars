prefix = "prod"
