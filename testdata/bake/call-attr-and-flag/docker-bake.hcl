target "a" {
  call = "outline"
}
