target "a" {
  output = ["type=local,dest=out"]
}
target "b" {
  output = ["type=docker,dest=out.tar"]
}
target "c" {
  output = ["type=oci,dest=o.tar", "type=registry"]
}
