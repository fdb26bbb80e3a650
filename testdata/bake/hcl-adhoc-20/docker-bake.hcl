target "a" {
  extra-hosts = { "h" = "1.2.3.4,5.6.7.8" }
  resources = { memory-swap = "-1", cpuset-cpus = "0-1", cpu-quota = 1000 }
}
