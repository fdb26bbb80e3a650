
		FOO = "def"
		