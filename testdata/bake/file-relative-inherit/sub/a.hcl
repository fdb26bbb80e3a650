target "base" {
  context = "basectx"
}
