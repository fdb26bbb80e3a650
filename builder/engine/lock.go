package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LockFileName is the file under the state directory whose flock marks the
// engine that owns it. It holds "pid=N" and, for `kiln engine serve`, "addr=A".
const LockFileName = "kiln.lock"

// LockedError says another process owns the state directory. BuildKit's
// bbolt files would otherwise block the second process forever.
type LockedError struct {
	Root string
	PID  int    // 0 if the holder did not write it yet
	Addr string // the holder's gRPC address when it is `kiln engine serve`
}

func (e *LockedError) Error() string {
	if e.PID == os.Getpid() {
		return fmt.Sprintf("kiln state directory %s is already open in this process: close that engine first", e.Root)
	}
	holder := "another process"
	if e.PID > 0 {
		holder = "process " + strconv.Itoa(e.PID)
	}
	msg := fmt.Sprintf("kiln state directory %s is in use by %s", e.Root, holder)
	if e.Addr != "" {
		return msg + fmt.Sprintf(" (kiln engine serve); use --builder %s", e.Addr)
	}
	return msg + "; wait for it, set KILN_ROOT to another directory, or run `kiln engine serve` and use --builder"
}

// stateLock is an exclusive flock on root/kiln.lock, held for the engine's life.
type stateLock struct {
	f *os.File
}

func lockState(root string) (*stateLock, error) {
	path := filepath.Join(root, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			le := &LockedError{Root: root}
			le.PID, le.Addr = ReadLockHolder(root)
			return nil, le
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &stateLock{f: f}
	if err := l.write(""); err != nil {
		l.release()
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	return l, nil
}

// write records who holds the lock, and the address it serves on if any.
// Its errors are the *os.PathError of the failed call: they name the file
// once (ENOSPC: "write /var/lib/kiln/kiln.lock: no space left on device").
func (l *stateLock) write(addr string) error {
	s := "pid=" + strconv.Itoa(os.Getpid()) + "\n"
	if addr != "" {
		s += "addr=" + addr + "\n"
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(s), 0)
	return err
}

func (l *stateLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the only descriptor drops the flock
	l.f = nil
	return err
}

// ReadLockHolder returns the pid and serve address recorded in root's lock
// file, zero values when absent.
func ReadLockHolder(root string) (pid int, addr string) {
	b, err := os.ReadFile(filepath.Join(root, LockFileName))
	if err != nil {
		return 0, ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "pid":
			pid, _ = strconv.Atoi(v)
		case "addr":
			addr = v
		}
	}
	return pid, addr
}
