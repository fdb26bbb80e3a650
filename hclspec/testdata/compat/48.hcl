target "a" {
 resources = { memory = "1g" }
}
target "b" { args = { M = jsonencode(target.a.resources), N = jsonencode(target.c.resources) } }
target "c" {}
