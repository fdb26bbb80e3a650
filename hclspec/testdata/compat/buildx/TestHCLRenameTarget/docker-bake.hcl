
		target "abc" {
			name = "xyz"
			dockerfile = "foo"
		}
		