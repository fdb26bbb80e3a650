
            variable "foo" {
                type = number
                default = 101
            }
            
            target "default" {
                args = {
                    bar = foo
                }
            }