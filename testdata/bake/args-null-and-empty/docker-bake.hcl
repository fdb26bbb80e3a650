target "a" {
  args = { N = null, E = "", V = "v" }
  labels = { N = null }
  extra-hosts = { n = null }
}
