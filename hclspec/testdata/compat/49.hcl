target "a" { tags = target.a.tags }
