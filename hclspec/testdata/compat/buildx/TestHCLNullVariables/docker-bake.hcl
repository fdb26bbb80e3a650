
		variable "FOO" {
			default = null
		}
		target "default" {
			args = {
				foo = FOO
			}
		}