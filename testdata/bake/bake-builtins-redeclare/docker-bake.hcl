variable "BAKE_CMD_CONTEXT" { default = "x" }
target "default" {}
