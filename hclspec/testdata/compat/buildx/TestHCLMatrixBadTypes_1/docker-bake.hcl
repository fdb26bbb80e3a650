
		target "default" {
			matrix = ["test"]
		}
		