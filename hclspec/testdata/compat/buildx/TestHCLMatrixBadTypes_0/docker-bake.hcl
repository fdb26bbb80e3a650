
		target "default" {
			matrix = "test"
		}
		