
	variable "FOO" {}
	target "default" {
	  args = {
	    foo = equal(FOO, "")
	  }
	}