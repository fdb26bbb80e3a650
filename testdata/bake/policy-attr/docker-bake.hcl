target "a" {
  policy = ["strict=true", "disabled=false"]
}
