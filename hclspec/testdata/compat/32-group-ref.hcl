group "g" { targets = ["a"] }
target "a" { tags = ["${group.g.targets[0]}"] }
target "b" { tags = group.nope.targets }
