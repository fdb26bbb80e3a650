
            variable "FOO_JSON" {
                type = list(number)
            }

            target "default" {
                args = {
                    foo = length(FOO_JSON)
                }
            }