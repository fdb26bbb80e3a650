
		target "foo" {
			dockerfile = target.foo.name
		}
		