function "f" {
 params = []
 result = 1
}
function "f" {
 params = []
 result = 2
}
target "default" { args = { a = f() } }
