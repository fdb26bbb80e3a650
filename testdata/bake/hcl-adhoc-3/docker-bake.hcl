target "a" { tags = ["x"] }
target "b" { tags = target.a.tags }
group "default" { targets = ["b", "a", "b"] }
