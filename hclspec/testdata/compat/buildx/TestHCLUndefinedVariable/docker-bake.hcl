
		target "app" {
			dockerfile = "${FOO}${FOO}"
		}
		