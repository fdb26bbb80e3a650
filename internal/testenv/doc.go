// Package testenv is what kiln's tests share across packages: a real
// docker-registry on 127.0.0.1, the demo's busybox binaries, file helpers.
// Only _test.go files import it.
package testenv
