//go:build !linux

package solve

import (
	"errors"
	"os"
)

var errNoExchange = errors.New("atomic exchange not supported")

func renameExchange(a, b string) error { return errNoExchange }

func renameNoReplace(a, b string) error { return os.Rename(a, b) }
