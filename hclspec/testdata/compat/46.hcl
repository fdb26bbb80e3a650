target "a" {
  matrix = { v = group.g.targets }
 name = v
}
group "g" { targets = ["x"] }
