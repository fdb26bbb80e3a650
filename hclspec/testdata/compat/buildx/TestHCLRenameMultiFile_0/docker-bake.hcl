
		target "foo" {
			name = "bar"
			matrix = {}
			dockerfile = "x"
		}
		