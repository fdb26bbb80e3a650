
group "default" {
  targets = ["foo", "foo-bar"]
}
group "baz" {
  targets = ["baz-foo", "baz-bar", "baz-fuu"]
}
target "foo" {}
target "foo-bar" {}
target "foo-baz" {}
target "foo-fuu" {}
target "bar-foo" {}
target "bar-baz" {}
target "bar-fuu" {}
target "baz-foo" {}
target "baz-bar" {}
target "baz-fuu" {}
target "mtx" {
  name = "mtx-${foo}-${bar}-${baz}"
  matrix = {
    foo = ["a"]
    bar = ["b", "c"]
    baz = ["d", "e", "f"]
  }
}
