REPO = "r/x"
target "default" {
  tags = ["${REPO}:1"]
}
