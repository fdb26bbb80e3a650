package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultServeAddr is where `kiln engine serve` listens by default, and
// where a kiln process finding the state directory busy looks for it.
const DefaultServeAddr = "unix:///run/kiln/buildkitd.sock"

// maxSocketPath is the longest path a unix socket address can hold on Linux.
const maxSocketPath = 107

// Listen opens addr for Serve: unix:///path or tcp://host:port, the latter
// wrapped in TLS when tlsConf is set (CheckServeSecurity decides whether it
// must be). A unix path that exists must be a socket nobody answers on
// (left by a killed server); anything else there is an error naming it,
// and is never removed.
func Listen(addr string, tlsConf *tls.Config) (net.Listener, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	switch u.Scheme {
	case "unix":
		l, err := listenUnix(socketPath(u))
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		return l, nil
	case "tcp":
		l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", u.Host)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if tlsConf != nil {
			l = tls.NewListener(l, tlsConf)
		}
		return l, nil
	}
	return nil, fmt.Errorf("listen address %q: want unix:///path or tcp://host:port", addr)
}

func socketPath(u *url.URL) string {
	if u.Path == "" {
		return u.Host + u.Opaque
	}
	return u.Path
}

// listenUnix binds the socket in a private directory beside path, sets its
// mode to 0660 (root and the socket's group, like buildkitd), and only then
// links it at path: no client can connect while the mode is still the
// umask's, and link fails rather than replace something that appeared at
// path meanwhile.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".kiln-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bind := filepath.Join(tmp, "s")
	if len(bind) > maxSocketPath {
		// The private directory would not fit in a socket address: bind in
		// place. The mode is then the umask's until the chmod below.
		bind = path
	}
	l, err := net.Listen("unix", bind)
	if err != nil {
		return nil, err
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // socketListener removes path, and only its own
	if err := os.Chmod(bind, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	if bind != path {
		if err := os.Link(bind, path); err != nil {
			l.Close()
			if errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("%s appeared while the socket was being created; not replaced", path)
			}
			return nil, err
		}
	}
	fi, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return nil, err
	}
	return &socketListener{UnixListener: ul, path: path, file: fi}, nil
}

// removeStaleSocket leaves path free for a new socket: nothing there, or a
// socket file whose server is gone (connect says ECONNREFUSED). A live
// socket, a regular file, a directory, a symlink, or a socket it cannot
// probe is an error naming path.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is %s, not a socket: remove it or choose another address", path, describeFile(fi))
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("another server is answering on %s", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("socket %s exists and cannot be probed (%w): not replaced", path, err)
	}
	again, err := os.Lstat(path)
	if err != nil || !os.SameFile(fi, again) {
		return fmt.Errorf("%s changed while it was being checked; not replaced", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

func describeFile(fi fs.FileInfo) string {
	switch t := fi.Mode().Type(); {
	case t == 0:
		return "a regular file"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "a special file (" + t.String() + ")"
	}
}

// socketListener removes its socket file on Close, unless another server
// has replaced it meanwhile.
type socketListener struct {
	*net.UnixListener
	path string
	file fs.FileInfo
}

// Addr is the socket's path, not the private one it was bound at.
func (l *socketListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *socketListener) Close() error {
	err := l.UnixListener.Close()
	if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.file) {
		os.Remove(l.path)
	}
	return err
}

// ChownSocket gives a unix socket address's group to gid, so members of
// that group may use the engine without root (buildkitd's --group).
func ChownSocket(addr string, gid int) error {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "unix" {
		return fmt.Errorf("--group applies to unix:// addresses, not %q", addr)
	}
	if err := os.Chown(socketPath(u), 0, gid); err != nil {
		return fmt.Errorf("socket group: %w", err)
	}
	return nil
}
