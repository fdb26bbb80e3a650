
		target "default" {
			matrix = {
				foo = ["a", "b"]
			}
			name = "c"
		}
		