variable "NAME" { default = "Kiln-App" }
function "tag" {
  params = [repo, ver]
  result = "${repo}:${ver}"
}
target "default" {
  tags = [tag(lower(NAME), "1"), upper(NAME), join("-", split("-", NAME))]
  args = {
    MAX = max(1, 2, 3)
    REPLACED = replace(NAME, "-", "_")
    TRIM = trimprefix(NAME, "Kiln-")
    FMT = format("%s-%03d", NAME, 7)
    JSON = jsonencode({ a = 1 })
    COALESCE = coalesce("", "fallback")
    SEMVER = semvercmp("1.2.3", ">= 1.0.0")
  }
}
