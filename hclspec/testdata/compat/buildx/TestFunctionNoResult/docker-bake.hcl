
		function "foo" {
			params = ["a"]
		}
		