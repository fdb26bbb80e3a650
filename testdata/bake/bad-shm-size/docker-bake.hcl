target "a" {
  shm-size = "lots"
}
