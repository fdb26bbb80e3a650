
		group "foo" {
			matrix = {
				name = ["x", "y"]
			}
		}
		