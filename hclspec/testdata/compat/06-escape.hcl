variable "X" { default = "x" }
target "default" {
  args = { A = "$${X}", B = "${X}", C = "%{ if X == "x" }yes%{ else }no%{ endif }", D = "$$", E = "%%{x}" }
  dockerfile-inline = <<EOT
FROM scratch
ENV A=$${X} B=${X}
EOT
}
