target "a" { output = "type=docker" }
