
		target "app" {
			context = "dir"
			args = {
				v1 = "foo"
			}
		}
		