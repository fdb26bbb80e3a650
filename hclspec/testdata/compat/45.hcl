target "a" { tags = group.x.targets }
