target "t" {
  tags = ["a"]
  args = { A = "a", B = "a" }
  cache-from = ["type=registry,ref=a"]
  output = ["type=docker"]
}
group "g" {
  targets = ["t"]
}
