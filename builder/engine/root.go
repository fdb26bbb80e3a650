package engine

import "errors"

// ErrNeedRoot is returned by Start when kiln runs without root.
var ErrNeedRoot = errors.New("the embedded BuildKit engine needs root (it runs build steps with runc and mounts overlayfs): " +
	"run kiln as root, or use --builder with a BuildKit daemon (e.g. --builder unix:///run/kiln/buildkitd.sock for `kiln engine serve --group <yours>`, unix:///run/buildkit/buildkitd.sock, tcp://host:1234)")

// checkRoot is Start's first test, apart so the message can be tested as
// root too.
func checkRoot(euid int) error {
	if euid != 0 {
		return ErrNeedRoot
	}
	return nil
}
