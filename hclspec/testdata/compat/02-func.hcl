function "tag" {
  params = [name, ver]
  result = "${name}:${ver}"
}
function "join_all" {
  params = [sep]
  variadic_params = items
  result = join(sep, items)
}
function "twice" {
  params = [x]
  result = tag(x, x)
}
target "default" {
  tags = [tag("a", "1"), join_all("-", "x", "y", "z"), twice("q"), upper("abc"), sanitize("a.b/c"), indexof(["a","b"], "b"), basename("/a/b/c"), dirname("/a/b/c"), semvercmp("1.2.3", ">=1.0"), formattimestamp("YYYY", 0), jsonencode(unixtimestampparse(86400).weekday_name), md5("x"), cidrhost("10.0.0.0/8", 5), base64encode("hi")]
}
