
target "webDEP" {
	args = {
		VAR_INHERITED = "webDEP"
		VAR_BOTH = "webDEP"
	}
	no-cache = true
	shm-size = "128m"
	ulimits = ["nofile=1024:1024"]
	resources = {
		memory = "2g"
		memory-swap = "4g"
		cpu-shares = 1024
		cpu-period = 100000
		cpu-quota = 50000
		cpuset-cpus = "0-3"
		cpuset-mems = "0,1"
	}
	extra-hosts = {
		my_hostname = "8.8.8.8"
	}
}

target "webapp" {
	dockerfile = "Dockerfile.webapp"
	args = {
		VAR_BOTH = "webapp"
	}
	annotations = [
		"index,manifest:org.opencontainers.image.authors=dvdksn"
	]
	attest = [
		"type=provenance,mode=max"
	]
	platforms = [
		"linux/amd64"
	]
	secret = [
		"id=FOO,env=FOO"
	]
	inherits = ["webDEP"]
}