group "g" { targets = ["a"] }
group "g" { targets = ["b"] }
target "a" {}
target "b" {}
