target "a" {
  shm-size = "128m"
  ulimits = ["nofile=1024", "core=-1:-1"]
}
