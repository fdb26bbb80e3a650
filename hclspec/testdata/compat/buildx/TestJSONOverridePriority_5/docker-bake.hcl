
            variable "FOO" {
                type = list(number)
            }
            
            target "default" {
                args = {
                    foo = length(FOO)
                }
            }