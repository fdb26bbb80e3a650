package schedule

import "errors"

// IsNotStarted reports whether err is a solve that never got a Limit slot
// (for the external tests).
func IsNotStarted(err error) bool {
	var ns errNotStarted
	return errors.As(err, &ns)
}
