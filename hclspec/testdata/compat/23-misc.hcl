foo "x" { a = 1 }
variable "target" { default = "v" }
variable "BAKE_LOCAL_PLATFORM" { default = "nope" }
X = target.a.tags[0]
Y = "${BAKE_CMD_CONTEXT}|${BAKE_LOCAL_PLATFORM}"
target "a" {
  tags = ["ta"]
  unknown-attr = 1
  nested { x = 1 }
}
target "b" {
  tags = [X, Y]
}
