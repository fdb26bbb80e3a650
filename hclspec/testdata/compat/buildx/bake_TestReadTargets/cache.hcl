
target "webapp" {
	cache-from = ["type=registry,ref=example.com/original-cache"]
	cache-to = ["type=registry,ref=example.com/original-cache"]
}