
target "webapp" {
	annotations = ["index,manifest:org.opencontainers.image.authors=dvdksn"]
	attest = ["type=provenance,mode=max"]
	entitlements = ["network.host"]
}