target "esc" {
  args = { A = "$${HOME}", B = "%%{x}", C = "plain" }
  labels = { L = "$${VAR}-%%{tpl}" }
  annotations = ["manifest:a=$${b}"]
  extra-hosts = { h = "$${ip}" }
  dockerfile-inline = "FROM alpine\nRUN echo $${FOO} %%{bar}\n"
  tags = ["t-$${x}"]
}
