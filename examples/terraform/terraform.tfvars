environment   = "prod"
general_nodes = 3
