
		group "foo" {
			name = "bar"
			targets = ["x", "y"]
		}
		