// Package atomicfile finishes replacing a file atomically: the content is
// written to a temporary beside the destination, which is renamed over it
// only when complete, so a reader sees the old file or the new one, never a
// part. The callers choose the temporary's name (kiln's outputs use a
// pattern that a later run cleans up after a kill -9).
package atomicfile

import (
	"io"
	"os"
)

// Commit writes the content (write) to tmp, an open temporary beside
// dest, gives it perm and renames it to dest; tmp is removed on failure.
func Commit(tmp *os.File, dest string, perm os.FileMode, write func(io.Writer) error) error {
	defer os.Remove(tmp.Name()) // nothing left after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
