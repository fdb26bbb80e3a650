target "web" {
  tags = ["web:hcl"]
  platforms = ["linux/arm64"]
}
group "default" {
  targets = ["web"]
}
